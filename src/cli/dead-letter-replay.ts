import { createHash } from 'node:crypto'
import type { JobsOptions, Queue } from 'bullmq'
import {
  type DeadLetter,
  JOB_NAMES,
  type JobName,
  METERING_JOB_OPTIONS,
} from '../metering/queues.js'

/** Every state a dead letter waits in: nothing consumes that queue. */
const waitingStates = ['wait'] as const

/** A dead letter as it waits in its queue. */
export interface ParkedLetter {
  id: string
  letter: DeadLetter
}

/** The oldest dead letters first, at most `limit`, and how many wait in all. */
export async function listDeadLetters(
  queue: Queue,
  limit: number,
): Promise<{ total: number; letters: ParkedLetter[] }> {
  const ids = await deadLetterIds(queue, limit)
  const jobs = await Promise.all(ids.map((id) => queue.getJob(id)))
  const letters = jobs.flatMap((job) =>
    job?.id ? [{ id: job.id, letter: job.data as DeadLetter }] : [],
  )
  return { total: await queue.getJobCountByTypes(...waitingStates), letters }
}

/** Ids of the oldest dead letters, at most `limit` (all when unset). */
export async function deadLetterIds(queue: Queue, limit?: number): Promise<string[]> {
  const end = limit === undefined ? -1 : limit - 1
  const ids = await queue.getRanges([...waitingStates], 0, end, true)
  return limit === undefined ? ids : ids.slice(0, limit)
}

/** Ids BullMQ takes as they are: no ':' and not a bare integer (the prefix sees to that). */
const plainId = /^[A-Za-z0-9_.-]{1,200}$/

/**
 * The id of the job that replays a dead letter, the same on every run, so a
 * second replay finds the first one's job and does not enqueue it again.
 * An id BullMQ would refuse is hashed; the two forms differ in their seventh
 * character, so they never collide.
 */
export function replayJobId(deadLetterId: string): string {
  if (plainId.test(deadLetterId)) return `replay-${deadLetterId}`
  return `replay_${createHash('sha256').update(deadLetterId).digest('hex').slice(0, 40)}`
}

export interface ReplayJob {
  name: JobName
  data: unknown
  opts: JobsOptions & { jobId: string }
}

/**
 * The metering job that carries a dead letter's content again: a whole job's
 * data that holds an `events` array as a `batch`, anything else as one
 * `event`. It keeps the source job's enqueue time, the day an event without
 * `occurred_at` counts on. Undefined when the letter holds no event at all.
 */
export function replayJob(deadLetterId: string, letter: unknown): ReplayJob | undefined {
  if (typeof letter !== 'object' || letter === null || !('event' in letter)) return undefined
  const { event, source, rejected_at } = letter as Partial<DeadLetter>
  if (event === undefined) return undefined

  const events =
    typeof event === 'object' && event !== null ? (event as { events?: unknown }).events : undefined
  const enqueuedAt = Date.parse(source?.enqueued_at ?? rejected_at ?? '')
  return {
    name: Array.isArray(events) ? JOB_NAMES.batch : JOB_NAMES.event,
    data: event,
    opts: {
      ...METERING_JOB_OPTIONS,
      jobId: replayJobId(deadLetterId),
      ...(Number.isFinite(enqueuedAt) ? { timestamp: enqueuedAt } : {}),
    },
  }
}

export type ReplayResult =
  | { outcome: 'replayed'; id: string; job: ReplayJob }
  | { outcome: 'skipped'; id: string; reason: string }
  | { outcome: 'failed'; id: string; reason: string }

export interface ReplaySummary {
  replayed: number
  skipped: number
  failed: number
}

export interface ReplayOptions {
  limit?: number
  /** Decide and report, change nothing. */
  dryRun?: boolean
  /** Called with each entry's result as it is known. */
  onResult?: (result: ReplayResult) => void
}

/**
 * Puts the oldest dead letters back on the metering queue, then removes each
 * one: enqueue first, so a crash in between leaves the letter, never loses it.
 * A rerun is harmless: a replay job still in Redis is found by its id and not
 * enqueued again, and the worker counts each `event_id` once whatever runs
 * it. The letters are chosen when the run starts, so an event refused again
 * (parked anew, with its new reason) waits for the next run.
 */
export async function replayDeadLetters(
  queues: { metering: Queue; deadLetters: Queue },
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const summary: ReplaySummary = { replayed: 0, skipped: 0, failed: 0 }
  const ids = await deadLetterIds(queues.deadLetters, options.limit)

  for (const id of ids) {
    const result = await replayOne(queues, id, options.dryRun ?? false).catch(
      (err: unknown): ReplayResult => ({
        outcome: 'failed',
        id,
        reason: err instanceof Error ? err.message : String(err),
      }),
    )
    summary[result.outcome]++
    options.onResult?.(result)
  }
  return summary
}

async function replayOne(
  queues: { metering: Queue; deadLetters: Queue },
  id: string,
  dryRun: boolean,
): Promise<ReplayResult> {
  const parked = await queues.deadLetters.getJob(id)
  if (!parked) return { outcome: 'skipped', id, reason: 'gone meanwhile (replayed or removed)' }

  const job = replayJob(id, parked.data)
  if (!job) return { outcome: 'failed', id, reason: 'holds no event to replay' }

  const existing = await queues.metering.getJob(job.opts.jobId)
  if (existing) {
    // An earlier run enqueued it and stopped before removing the letter.
    const state = await existing.getState()
    if (!dryRun) await queues.deadLetters.remove(id)
    return { outcome: 'skipped', id, reason: `already enqueued as ${job.opts.jobId} (${state})` }
  }
  if (dryRun) return { outcome: 'replayed', id, job }

  await queues.metering.add(job.name, job.data, job.opts)
  await queues.deadLetters.remove(id)
  return { outcome: 'replayed', id, job }
}
