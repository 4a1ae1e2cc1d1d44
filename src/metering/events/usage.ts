import { z } from 'zod'
import { utcDayOf } from '../../time/utc-day.js'
import { BYTES_RULE, bytesToMicros, MAX_BYTES, MAX_SECONDS, secondsToMicros } from '../quantity.js'
import { eventFields, externalUserRule, optionalText, type RecordBase, rule } from './common.js'

/** The metrics a `usage` event can carry, with the unit its value is counted in. */
export const METRICS = {
  upload_bytes: 'bytes',
  encoding_cpu: 'seconds',
  encoding_gpu: 'seconds',
} as const

export type Metric = keyof typeof METRICS
export const metricNames = Object.keys(METRICS) as [Metric, ...Metric[]]

const usageShape = {
  ...eventFields,
  type: z.literal('usage'),
  metric: z.enum(metricNames, { error: rule(`must be one of ${metricNames.join(', ')}`) }).meta({
    description:
      'upload_bytes (bytes uploaded), encoding_cpu or encoding_gpu (seconds of encoding).',
  }),
  value: z
    .union([z.number(), z.string()], {
      error: rule('must be a number or a decimal string'),
    })
    .meta({
      description:
        `For upload_bytes: a whole number of bytes from 0 to ${MAX_BYTES}, as a decimal ` +
        'string above 2^53. For encoding_cpu and encoding_gpu: seconds, a finite number ' +
        `or decimal string from 0 to ${MAX_SECONDS}, rounded half up to the microsecond.`,
      examples: ['53687091200', 12.482113],
    }),
  external_user_id: optionalText(255).meta({ description: externalUserRule }),
}

function checkValue(
  event: { metric: Metric; value: number | string },
  ctx: z.RefinementCtx<unknown>,
): void {
  if (toMicros(event.metric, event.value) !== undefined) return
  ctx.addIssue({ code: 'custom', path: ['value'], message: valueRule(event.metric) })
}

export const usageSchema = z.strictObject(usageShape).superRefine(checkValue, {
  // Check the value even when other fields failed, so one answer names every problem.
  when: (payload) => hasCheckableValue(payload.value),
})

/**
 * The same rules without the `when` above: it accepts exactly the events
 * `usageSchema` accepts, with the same output (the value is checked whenever
 * every other field is valid), but reports a bad value only when nothing else
 * is wrong. Unlike `usageSchema`, it can be compiled by `z.compile`.
 */
export const usageSchemaForValidEvents = z.strictObject(usageShape).superRefine(checkValue)

/** A validated usage event, reduced to what the meter stores. */
export interface UsageRecord extends RecordBase {
  kind: 'usage'
  metric: Metric
  externalUserId: string
  /** The UTC day of `occurred_at`. */
  day: string
  /** The value in micro-units of the metric's unit. */
  micros: bigint
}

export function toUsageRecord(event: z.output<typeof usageSchema>, occurredAt: number) {
  return {
    kind: 'usage',
    eventId: event.event_id,
    userId: event.user_id,
    occurredAt,
    metric: event.metric,
    externalUserId: event.external_user_id,
    day: utcDayOf(occurredAt),
    micros: toMicros(event.metric, event.value) as bigint,
  } satisfies UsageRecord
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
    ? BYTES_RULE
    : `must be a finite number of seconds from 0 to ${MAX_SECONDS}`
}
