import { TOKEN_ABILITIES } from '../../src/accounts/tokens.js'
import { METRICS, metricNames } from '../../src/metering/event-schema.js'
import type { JsonSchema } from './json-schema.js'

/** A `$ref` to a schema of `components.schemas`. */
export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` })

const string = { type: 'string' }
const dateTime = { type: 'string', format: 'date-time' }
const day = { type: 'string', format: 'date' }
const count = { type: 'integer', minimum: 0 }
const decimal = (unit: string): JsonSchema => ({
  type: 'string',
  description: `Exact decimal text in ${unit}, never a JSON number, so no parser rounds it.`,
  examples: unit === 'bytes' ? ['9007199254740993'] : ['0.6'],
})

/** An object whose every property is required and none other allowed. */
function record(properties: Record<string, JsonSchema>, description?: string): JsonSchema {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  }
}

const fieldErrors: JsonSchema = {
  type: 'object',
  description: 'Field path → messages; `_` names the body as a whole.',
  additionalProperties: { type: 'array', items: string },
}

const user = record({
  id: { type: 'integer', minimum: 1 },
  ulid: { type: 'string', pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' },
  name: string,
  email: { type: 'string', format: 'email' },
  is_admin: { type: 'boolean' },
  created_at: dateTime,
  updated_at: dateTime,
})

const token = record({
  token: { ...string, description: '`<token_id>|<secret>`; shown once, stored only as a hash.' },
  token_id: { type: 'integer', minimum: 1 },
  name: string,
  abilities: { type: 'array', items: { type: 'string', enum: [...TOKEN_ABILITIES] } },
  user: ref('User'),
})

const pageMeta = record({
  current_page: { type: 'integer', minimum: 1 },
  last_page: { type: 'integer', minimum: 1 },
  per_page: { type: 'integer', minimum: 1 },
  total: count,
})

const activityEntry = record({
  id: { type: 'integer', minimum: 1 },
  event: { ...string, examples: ['user.created', 'video.uploaded'] },
  description: string,
  subject_type: { type: ['string', 'null'] },
  subject_id: { type: ['string', 'null'] },
  properties: { type: 'object', description: 'Never holds a secret.' },
  created_at: dateTime,
})

const usageRow = record({
  metric: { type: 'string', enum: metricNames },
  external_user_id: { ...string, description: '`""` when the producer named none.' },
  date: day,
  value: decimal('the unit of the row'),
  unit: { type: 'string', enum: [...new Set(Object.values(METRICS))] },
  events: { ...count, description: 'Events summed into the row.' },
})

const bandwidth = { bandwidth_bytes: decimal('bytes') }
const encoding = {
  upload_bytes: decimal('bytes'),
  encoding_cpu_seconds: decimal('seconds'),
  encoding_gpu_seconds: decimal('seconds'),
}

const analyticsReport = record({
  from: day,
  to: day,
  user_id: { type: ['integer', 'null'], description: 'The user every figure is limited to.' },
  totals: record(
    { ...bandwidth, sessions: count, unique_ips: count, active_videos: count, ...encoding },
    'Distinct counts are over the whole range: a session seen on two days counts once.',
  ),
  daily: {
    type: 'array',
    description: 'Every day of the range in order, zeros on days without traffic or usage.',
    items: record({
      date: day,
      ...bandwidth,
      sessions: count,
      unique_ips: count,
      active_videos: count,
      ...encoding,
    }),
  },
  top_videos: {
    type: 'array',
    maxItems: 10,
    description: 'By bandwidth, ties by id.',
    items: record({ video_ulid: string, ...bandwidth, sessions: count }),
  },
  top_external_users: {
    type: 'array',
    maxItems: 10,
    description: 'By bandwidth, then upload bytes, ties by id.',
    items: record({ external_user_id: string, ...bandwidth, ...encoding }),
  },
})

const ingestResult = record({
  accepted: { ...count, description: 'Events put on the queue.' },
  rejected: {
    type: 'array',
    description: 'Events refused and not enqueued, in body order.',
    items: record({
      index: { ...count, description: 'Position in `events`; 0 for a single event.' },
      event_id: { type: ['string', 'null'] },
      errors: ref('FieldErrors'),
    }),
  },
})

const error: JsonSchema = {
  type: 'object',
  properties: {
    message: string,
    errors: { ...ref('FieldErrors'), description: 'On 422, and on a 409 that names fields.' },
  },
  required: ['message'],
  additionalProperties: false,
}

/** The response bodies no zod schema describes, written by hand to match the handlers. */
export const responseSchemas: Record<string, JsonSchema> = {
  User: user,
  Token: token,
  PageMeta: pageMeta,
  ActivityEntry: activityEntry,
  UsageRow: usageRow,
  AnalyticsReport: analyticsReport,
  IngestResult: ingestResult,
  FieldErrors: fieldErrors,
  Error: error,
}

const errorBody = { 'application/json': { schema: ref('Error') } }
const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
}

/** The error responses, keyed by status; every one has the `Error` body. */
export function errorResponses(bodyLimit: string): Record<number, JsonSchema> {
  const described = (description: string, extra: JsonSchema = {}) => ({
    description,
    content: errorBody,
    ...extra,
  })
  return {
    400: described('The body is not valid JSON, or does not decompress.'),
    401: described('No bearer token, or one that is unknown, revoked or of a deleted user.'),
    403: described('The token is valid but may not do this.'),
    404: described('No such resource.'),
    409: described('The request clashes with the current state.'),
    413: described(`The body is larger than the body limit (BODY_LIMIT, here ${bodyLimit}).`),
    415: described('The body has a Content-Encoding the server cannot decode.'),
    422: described('Validation failed; `errors` names every bad field.'),
    503: described('A store the request needs is unreachable; retry later.', {
      headers: retryAfter,
    }),
  }
}
