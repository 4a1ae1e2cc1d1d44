import { z } from 'zod'
import { utcDayOf } from '../time/utc-day.js'
import { type FieldErrors, fieldErrors } from '../validation.js'
import { bytesToMicros, MAX_BYTES, MAX_SECONDS, secondsToMicros } from './quantity.js'

/** The metrics a `usage` event can carry, with the unit its value is counted in. */
export const METRICS = {
  upload_bytes: 'bytes',
  encoding_cpu: 'seconds',
  encoding_gpu: 'seconds',
} as const

export type Metric = keyof typeof METRICS
export const metricNames = Object.keys(METRICS) as [Metric, ...Metric[]]

/** Most events one `batch` job may carry. */
export const MAX_BATCH_EVENTS = 1000

/** Names a missing field as missing, and any other problem with `rule`. */
const rule = (text: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : text

const eventFields = {
  event_id: z
    .string({ error: rule('must be a string of 1 to 200 characters') })
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters'),
  user_id: z
    .number({ error: rule('must be a positive integer') })
    .int('must be a positive integer')
    .positive('must be a positive integer')
    .max(Number.MAX_SAFE_INTEGER, 'is too large'),
  occurred_at: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time with an offset' })
    .optional(),
}

const usageSchema = z
  .object({
    ...eventFields,
    type: z.literal('usage'),
    metric: z.enum(metricNames, { error: rule(`must be one of ${metricNames.join(', ')}`) }),
    value: z.union([z.number(), z.string()], {
      error: rule('must be a number or a decimal string'),
    }),
    external_user_id: z
      .string({ error: 'must be a string' })
      .max(255, 'must be at most 255 characters')
      .default(''),
  })
  .superRefine(
    (event, ctx) => {
      if (toMicros(event.metric, event.value) !== undefined) return
      ctx.addIssue({ code: 'custom', path: ['value'], message: valueRule(event.metric) })
    },
    // Check the value even when other fields failed, so one answer names every problem.
    { when: (payload) => hasCheckableValue(payload.value) },
  )

/** The one schema every metering event is checked against, on the queue and over HTTP. */
export const eventSchema = z.discriminatedUnion('type', [usageSchema], {
  error: rule('must be usage'),
})

export type UsageEventInput = z.input<typeof usageSchema>
export type EventInput = z.input<typeof eventSchema>

/** A validated usage event, reduced to what the meter stores. */
export interface UsageRecord {
  eventId: string
  userId: number
  metric: Metric
  externalUserId: string
  /** The UTC day of `occurred_at`. */
  day: string
  /** The value in micro-units of the metric's unit. */
  micros: bigint
}

export type ParsedEvent = { ok: true; record: UsageRecord } | { ok: false; errors: FieldErrors }

/**
 * Validates one raw event. `enqueuedAt` dates an event that carries no
 * `occurred_at`: the time its job entered the queue, never the time of processing.
 */
export function parseEvent(raw: unknown, enqueuedAt: number, prefix = ''): ParsedEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: { [prefix || '_']: ['must be a JSON object'] } }
  }

  const parsed = eventSchema.safeParse(raw)
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error, prefix) }

  const event = parsed.data
  const occurredAt = event.occurred_at ? Date.parse(event.occurred_at) : enqueuedAt
  return {
    ok: true,
    record: {
      eventId: event.event_id,
      userId: event.user_id,
      metric: event.metric,
      externalUserId: event.external_user_id,
      day: utcDayOf(occurredAt),
      micros: toMicros(event.metric, event.value) as bigint,
    },
  }
}

function toMicros(metric: Metric, value: number | string): bigint | undefined {
  return METRICS[metric] === 'bytes' ? bytesToMicros(value) : secondsToMicros(value)
}

function hasCheckableValue(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const event = value as { metric?: unknown; value?: unknown }
  const knownMetric = typeof event.metric === 'string' && event.metric in METRICS
  return knownMetric && (typeof event.value === 'number' || typeof event.value === 'string')
}

function valueRule(metric: Metric): string {
  return METRICS[metric] === 'bytes'
    ? `must be a whole number of bytes from 0 to ${MAX_BYTES} (a decimal string above 2^53)`
    : `must be a finite number of seconds from 0 to ${MAX_SECONDS}`
}
