import { z } from 'zod'
import {
  isStorableString,
  MAX_JSON_DEPTH,
  storableJsonProblem,
  storableTextRule,
} from '../../storable-text.js'
import { eventFields, optionalText, type RecordBase, rule } from './common.js'

const eventNamePattern = /^[a-z0-9][a-z0-9_.:-]*$/i
const maxPropertiesLength = 16_384
const noBadText = 'No NUL characters or unpaired surrogates.'
const text = (max: number) =>
  z
    .string({ error: rule(`must be a string of at most ${max} characters`) })
    .max(max, `must be at most ${max} characters`)
    .refine(isStorableString, storableTextRule)

/** Words that make a key one whose value an activity log, shown to its owner, must never hold. */
const secretWords = new Set([
  'password',
  'passwd',
  'pass',
  'secret',
  'token',
  'apikey',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'cookie',
])

/**
 * True for `password`, and for compound keys that name a secret in any
 * spelling: `access_token`, `accessToken`, `client-secret`, `X-API-Key`.
 */
function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
  return words.some((word, i) => secretWords.has(word) || `${word}${words[i + 1]}` === 'apikey')
}

/**
 * The log is shown back to its owner and to support: a producer that puts a
 * password in `properties` is told so instead of having it stored. Runs after
 * the nesting check, so the walk is shallow.
 */
function secretKeyProblem(value: unknown): string | undefined {
  const pending: unknown[] = [value]
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (typeof item !== 'object' || item === null) continue
    for (const [key, inner] of Object.entries(item)) {
      if (!Array.isArray(item) && isSecretKey(key)) {
        return `must not carry secrets: remove "${key}"`
      }
      pending.push(inner)
    }
  }
  return undefined
}

/**
 * A copy of a refused event fit to keep for inspection: the value under any
 * key an activity log must never hold reads `[redacted]`. Uses the same walk
 * as the queue's own serialisation, so it nests no deeper than that already.
 */
export function redactSecrets(event: unknown): unknown {
  const text = JSON.stringify(event, function hide(this: unknown, key: string, value: unknown) {
    return key !== '' && !Array.isArray(this) && isSecretKey(key) ? '[redacted]' : value
  })
  return text === undefined ? event : JSON.parse(text)
}

/** Something that happened on the platform, for the owner's activity log. */
export const activitySchema = z.strictObject({
  ...eventFields,
  type: z.literal('activity'),
  event: z
    .string({ error: rule('must be a short name such as video.uploaded') })
    .max(100, 'must be at most 100 characters')
    .regex(eventNamePattern, 'must be a short name such as video.uploaded')
    .meta({
      description:
        'What happened, a short name such as video.uploaded: letters, digits, ' +
        '. _ : -, up to 100 characters.',
    }),
  description: text(2_000).meta({
    description: `What the owner's activity log shows, up to 2,000 characters. ${noBadText}`,
  }),
  subject_type: optionalText(100)
    .refine(isStorableString, storableTextRule)
    .meta({
      description: `What it happened to, such as video; up to 100 characters. ${noBadText}`,
    }),
  subject_id: z
    .union([z.string().max(200), z.number().int().nonnegative()], {
      error: 'must be a string of at most 200 characters or a whole number',
    })
    .refine((id) => typeof id === 'number' || isStorableString(id), storableTextRule)
    .optional()
    .meta({ description: 'Which one: a string of up to 200 characters or a whole number.' }),
  properties: z
    .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
    .meta({
      description:
        `Details, a JSON object (never an array): at most ${maxPropertiesLength} characters ` +
        `as JSON and ${MAX_JSON_DEPTH} levels deep, with no key such as password, token or ` +
        `api_key at any depth. ${noBadText}`,
    })
    .default({})
    .superRefine((properties, ctx) => {
      // Depth first: a deeply nested value must never reach JSON.stringify.
      const problem = storableJsonProblem(properties) ?? secretKeyProblem(properties)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
      else if (JSON.stringify(properties).length > maxPropertiesLength) {
        ctx.addIssue({
          code: 'custom',
          message: `must be at most ${maxPropertiesLength} characters as JSON`,
        })
      }
    }),
})

export interface ActivityRecord extends RecordBase {
  kind: 'activity'
  event: string
  description: string
  subjectType: string | null
  subjectId: string | null
  properties: Record<string, unknown>
}

export function toActivityRecord(event: z.output<typeof activitySchema>, occurredAt: number) {
  return {
    kind: 'activity',
    eventId: event.event_id,
    userId: event.user_id,
    occurredAt,
    event: event.event,
    description: event.description,
    subjectType: event.subject_type === '' ? null : event.subject_type,
    subjectId: event.subject_id === undefined ? null : String(event.subject_id),
    properties: event.properties,
  } satisfies ActivityRecord
}
