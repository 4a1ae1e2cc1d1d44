import { z } from 'zod'
import { type FieldErrors, fieldErrors } from '../validation.js'
import { type ActivityRecord, activitySchema, toActivityRecord } from './events/activity.js'
import { type BandwidthRecord, bandwidthSchema, toBandwidthRecord } from './events/bandwidth.js'
import { eventFields } from './events/common.js'
import {
  toUsageRecord,
  type UsageRecord,
  usageSchema,
  usageSchemaForValidEvents,
} from './events/usage.js'

export type { ActivityRecord } from './events/activity.js'
export type { BandwidthRecord } from './events/bandwidth.js'
export { METRICS, type Metric, metricNames, type UsageRecord } from './events/usage.js'

/** Most events one `batch` job (or one HTTP request) may carry. */
export const MAX_BATCH_EVENTS = 1000

export const EVENT_TYPES = ['usage', 'bandwidth', 'activity'] as const

/** The one schema every metering event is checked against, on the queue and over HTTP. */
export const eventSchema = z.discriminatedUnion(
  'type',
  [usageSchema, bandwidthSchema, activitySchema],
  {
    error: (issue) =>
      (issue.input as { type?: unknown } | undefined)?.type === undefined
        ? 'is required'
        : `must be one of ${EVENT_TYPES.join(', ')}`,
  },
)

/**
 * `eventSchema` as it judges valid events, compiled: it accepts exactly the
 * same events with the same output, in a fraction of the time, but without
 * `eventSchema`'s full report of what is wrong. Exported for its test.
 */
export const eventSchemaForValidEvents = z.discriminatedUnion('type', [
  usageSchemaForValidEvents,
  bandwidthSchema,
  activitySchema,
])
const compiledForValidEvents = z.compile(eventSchemaForValidEvents)

export type UsageEventInput = z.input<typeof usageSchema>
export type BandwidthEventInput = z.input<typeof bandwidthSchema>
export type ActivityEventInput = z.input<typeof activitySchema>
export type EventInput = z.input<typeof eventSchema>

/** A validated event, reduced to what the meter stores. */
export type MeterRecord = UsageRecord | BandwidthRecord | ActivityRecord

export type ParsedEvent = { ok: true; record: MeterRecord } | { ok: false; errors: FieldErrors }

/**
 * Validates one raw event. `enqueuedAt` dates an event that carries no
 * `occurred_at`: the time its job entered the queue, never the time of processing.
 */
export function parseEvent(raw: unknown, enqueuedAt: number, prefix = ''): ParsedEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: { [prefix || '_']: ['must be a JSON object'] } }
  }

  // Most events are valid: the compiled check settles them, and only an event
  // it refuses is parsed again for a report naming every problem.
  const fast = compiledForValidEvents.safeParse(raw)
  const parsed = fast.success ? fast : eventSchema.safeParse(raw)
  if (!parsed.success) return { ok: false, errors: allProblems(parsed.error, raw, prefix) }

  const event = parsed.data
  const occurredAt = event.occurred_at ? Date.parse(event.occurred_at) : enqueuedAt
  switch (event.type) {
    case 'usage':
      return { ok: true, record: toUsageRecord(event, occurredAt) }
    case 'bandwidth':
      return { ok: true, record: toBandwidthRecord(event, occurredAt) }
    case 'activity':
      return { ok: true, record: toActivityRecord(event, occurredAt) }
  }
}

const commonSchema = z.object(eventFields)

/**
 * Without a known `type` the union checks nothing else; the fields every
 * event shares are checked too, so one answer still names every problem.
 */
function allProblems(error: z.ZodError, raw: unknown, prefix: string): FieldErrors {
  const errors = fieldErrors(error, prefix)
  if (Object.keys(errors).join() !== `${prefix}type`) return errors

  const common = commonSchema.safeParse(raw)
  return common.success ? errors : { ...errors, ...fieldErrors(common.error, prefix) }
}
