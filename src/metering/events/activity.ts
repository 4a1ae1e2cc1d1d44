import { z } from 'zod'
import { isStorableString, storableJsonProblem, storableTextRule } from '../../storable-text.js'
import { eventFields, optionalText, type RecordBase, rule } from './common.js'

const eventNamePattern = /^[a-z0-9][a-z0-9_.:-]*$/i
const maxPropertiesLength = 16_384
const text = (max: number) =>
  z
    .string({ error: rule(`must be a string of at most ${max} characters`) })
    .max(max, `must be at most ${max} characters`)
    .refine(isStorableString, storableTextRule)

/** Keys whose values an activity log, shown to its owner, must never hold. */
const secretKey = /^(password|passwd|pass|secret|token|api[_-]?key|authorization|credentials?)$/i

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
      if (!Array.isArray(item) && secretKey.test(key)) {
        return `must not carry secrets: remove "${key}"`
      }
      pending.push(inner)
    }
  }
  return undefined
}

/** Something that happened on the platform, for the owner's activity log. */
export const activitySchema = z.strictObject({
  ...eventFields,
  type: z.literal('activity'),
  event: z
    .string({ error: rule('must be a short name such as video.uploaded') })
    .max(100, 'must be at most 100 characters')
    .regex(eventNamePattern, 'must be a short name such as video.uploaded'),
  description: text(2_000),
  subject_type: optionalText(100).refine(isStorableString, storableTextRule),
  subject_id: z
    .union([z.string().max(200), z.number().int().nonnegative()], {
      error: 'must be a string of at most 200 characters or a whole number',
    })
    .refine((id) => typeof id === 'number' || isStorableString(id), storableTextRule)
    .optional(),
  properties: z
    .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
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
