import { z } from 'zod'
import { isStorableString, storableTextRule } from '../../storable-text.js'
import { FIRST_STORED_DAY, isStorableInstant, LAST_STORED_DAY } from '../../time/utc-day.js'

/** Names a missing field as missing, and any other problem with `text`. */
export const rule = (text: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : text

/**
 * The fields every metering event carries, whatever its type. Each type's
 * schema is strict: a misspelt optional field (`occured_at`) would otherwise
 * be dropped without a word and the event counted on the wrong day.
 */
export const eventFields = {
  event_id: z
    .string({ error: rule('must be a string of 1 to 200 characters') })
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    // A lone surrogate turns into U+FFFD on its way to Redis, ClickHouse or
    // PostgreSQL: two ids would become one, or the store would refuse the batch.
    .refine(isStorableString, storableTextRule)
    .meta({
      description:
        'The idempotency key, 1 to 200 characters: an event id counts once within the ' +
        'dedup horizon (7 days by default), however often it is sent.',
    }),
  user_id: z
    .number({ error: rule('must be a positive integer') })
    .int('must be a positive integer')
    .positive('must be a positive integer')
    .max(Number.MAX_SAFE_INTEGER, 'is too large')
    .meta({ description: 'The NukeVideo user the event bills: an existing user id.' }),
  occurred_at: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time with an offset' })
    .refine(
      (text) => isStorableInstant(Date.parse(text)),
      `must fall on a UTC day from ${FIRST_STORED_DAY} to ${LAST_STORED_DAY}`,
    )
    .optional()
    .meta({
      description:
        'When it happened: ISO 8601 with a Z or an offset, on a UTC day from ' +
        `${FIRST_STORED_DAY} to ${LAST_STORED_DAY}. Its UTC day is the day it counts on. ` +
        'Default: when the job was enqueued.',
      examples: ['2026-03-31T23:30:00-05:00'],
    }),
}

export const externalUserRule =
  "The producer's own customer, up to 255 characters (the upload's externalUserId); " +
  'default "".'

/**
 * An optional string of at most `max` characters; absent means `""`. Text a
 * store cannot hold is refused here: ClickHouse refuses a whole insert over
 * one unpaired surrogate, and a batch it refuses for good would stop the meter.
 */
export const optionalText = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .max(max, `must be at most ${max} characters`)
    .refine(isStorableString, storableTextRule)
    .default('')

/** Where every record starts: the event's identity, owner and instant. */
export interface RecordBase {
  eventId: string
  userId: number
  /** Milliseconds since the epoch: `occurred_at`, or when the job was enqueued. */
  occurredAt: number
}
