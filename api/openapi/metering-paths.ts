import { INGEST_ABILITY } from '../../src/accounts/tokens.js'
import { analyticsQuerySchema, MAX_ANALYTICS_DAYS } from '../../src/analytics/analytics-query.js'
import { MAX_BATCH_EVENTS } from '../../src/metering/event-schema.js'
import { FIRST_STORED_DAY, LAST_STORED_DAY } from '../../src/time/utc-day.js'
import { MAX_USAGE_DAYS, usageQuerySchema } from '../../src/usage/usage-query.js'
import { ref } from './components.js'
import { queryParameters } from './json-schema.js'
import { dataOf, operation } from './operation.js'

const storedDays = `from ${FIRST_STORED_DAY} to ${LAST_STORED_DAY}`

const range = (maxDays: number) => ({
  from: `First UTC day of the range, YYYY-MM-DD, inclusive; a real date ${storedDays}.`,
  to: `Last UTC day of the range, inclusive; not before \`from\`, at most ${maxDays} days in all.`,
})

/** The body of `POST /api/events`: one event, or a batch as a `batch` job carries it. */
const eventsBody = {
  oneOf: [
    ref('Event'),
    {
      type: 'object',
      properties: {
        events: { type: 'array', minItems: 1, maxItems: MAX_BATCH_EVENTS, items: ref('Event') },
      },
      required: ['events'],
      additionalProperties: false,
    },
  ],
}

/** The paths of the meter's figures and of HTTP ingestion. */
export function meteringPaths() {
  return {
    '/api/usage': {
      get: operation({
        operationId: 'readUsage',
        summary: "The caller's own usage per metric, external user and UTC day",
        description:
          'Ordered by date, then metric and external user. Days without usage are absent. ' +
          'A parameter given twice, or one not listed here, is a 422.',
        tag: 'usage',
        parameters: queryParameters(usageQuerySchema, {
          ...range(MAX_USAGE_DAYS),
          metric: 'Only this metric.',
          external_user_id: 'Only this external user; empty for usage that named none.',
        }),
        success: {
          status: 200,
          description: 'The usage rows.',
          schema: dataOf({ type: 'array', items: ref('UsageRow') }),
        },
        errors: [422, 503],
      }),
    },
    '/api/analytics': {
      get: operation({
        operationId: 'readAnalytics',
        summary: 'Bandwidth, sessions and encoding figures over a range of UTC days',
        description: '**Admins only**: any other token gets 403.',
        tag: 'analytics',
        parameters: queryParameters(analyticsQuerySchema, {
          ...range(MAX_ANALYTICS_DAYS),
          user_id: 'Limit every figure to this user: digits only, no sign or leading zero.',
        }),
        success: {
          status: 200,
          description: 'The report.',
          schema: dataOf(ref('AnalyticsReport')),
        },
        errors: [403, 422, 503],
      }),
    },
    '/api/events': {
      post: operation({
        operationId: 'ingestEvents',
        summary: 'Send metering events over HTTP',
        description:
          `**Needs a token with the \`${INGEST_ABILITY}\` ability** (only an admin can create ` +
          `one); any other token gets 403. The body is one event, or \`{ "events": [...] }\` ` +
          `with 1 to ${MAX_BATCH_EVENTS}. Events are checked with the queue's own schema and ` +
          'deduplicated by `event_id`. In a batch, events that fail validation or name no ' +
          'user come back in `rejected` and the rest are enqueued; a single event that fails ' +
          'is a 422. 503 with `Retry-After` when the queue is unreachable.',
        tag: 'events',
        body: eventsBody,
        success: {
          status: 202,
          description: 'Accepted for metering; counted once the worker stores them.',
          schema: dataOf(ref('IngestResult')),
        },
        errors: [403, 422, 503],
      }),
    },
  }
}
