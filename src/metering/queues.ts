import type { JobsOptions } from 'bullmq'

/**
 * The queues and job names of the meter, declared once. Producers in any
 * language follow this contract: queue `metering`; a job named `event` carries
 * one event as its data, a job named `batch` carries `{ "events": [...] }`.
 */
export const METERING_QUEUE = 'metering'

/** Where a queue's rejected events wait, with their reasons, to be inspected and replayed. */
export function deadLetterQueueName(queueName = METERING_QUEUE): string {
  return `${queueName}-dead-letter`
}

export const JOB_NAMES = { event: 'event', batch: 'batch' } as const
export type JobName = (typeof JOB_NAMES)[keyof typeof JOB_NAMES]

/**
 * The Redis key prefix of the dedup state, beside the queue's own keys.
 *
 * On Redis Cluster every key one Lua call touches must hash to one slot. The
 * dedup scripts name the batch set and a batch's journal as KEYS and build
 * the `seen` buckets and journals from this base inside the script, so all
 * of them share a slot only when the queue prefix carries a hash tag
 * (`QUEUE_PREFIX={nukevideo}`): each key then starts with the prefix, and
 * Redis hashes just the tag. BullMQ's own scripts need the same tag.
 */
export function dedupKeyBase(queuePrefix: string, queueName = METERING_QUEUE): string {
  return `${queuePrefix}:${queueName}:dedup`
}

/** Retries belong to the worker's stores being down, never to bad input. */
export const METERING_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
}

/** A dead-lettered event: the event as received and why it was refused. */
export interface DeadLetter {
  /** One event, or the whole data of a job that held no readable events. */
  event: unknown
  errors: Record<string, string[]>
  reason: string
  source: {
    queue: string
    job_id: string
    job_name: string
    index: number | null
    /**
     * When the source job was enqueued: the day of an event without
     * `occurred_at`. Absent from letters parked before it was recorded.
     */
    enqueued_at?: string
  }
  rejected_at: string
}
