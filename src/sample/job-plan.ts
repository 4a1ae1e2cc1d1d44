import { MAX_BATCH_EVENTS } from '../metering/event-schema.js'
import { createRng, type Rng } from './prng.js'
import type { GeneratedEvent, SampleEvent } from './sample-day.js'

/** A job as the pipeline enqueues it: one event, or a `batch` of up to 1,000. */
export type SampleJob =
  | { name: 'event'; event: SampleEvent }
  | { name: 'batch'; events: SampleEvent[] }

export interface JobPlanOptions {
  seed: number
  day: string
  /** Share of unique events sent a second time; default 4 %. */
  retryRate?: number
}

/**
 * Orders a day's events into jobs the way the pipeline ships them: upload
 * services mostly send single events, encoding nodes mostly ship batches.
 * A few events are then sent again with the same id and content, as a
 * retrying producer would: as a single job right after the original's job,
 * or inside a later batch. No job carries the same event twice.
 */
export function planJobs(events: readonly GeneratedEvent[], options: JobPlanOptions): SampleJob[] {
  const rng = createRng(`nukevideo-sample-jobs:${options.day}:${options.seed}`)
  const ordered = [...events].sort((a, b) => a.at - b.at || compare(a.event, b.event))

  const jobs: SampleJob[] = []
  const jobOf = new Map<string, number>()
  let pending: SampleEvent[] = []
  let batchTarget = rng.int(20, 400)
  const flush = () => {
    if (pending.length === 0) return
    for (const event of pending) jobOf.set(event.event_id, jobs.length)
    jobs.push({ name: 'batch', events: pending })
    pending = []
    batchTarget = rng.int(20, 400)
  }

  for (const { event } of ordered) {
    if (rng.chance(event.metric === 'upload_bytes' ? 0.75 : 0.2)) {
      jobOf.set(event.event_id, jobs.length)
      jobs.push({ name: 'event', event })
    } else {
      pending.push(event)
      if (pending.length >= batchTarget) flush()
    }
  }
  flush()

  const retried = pickRetries(rng, ordered, options.retryRate ?? 0.04)
  return withRetries(rng, jobs, retried, jobOf)
}

function pickRetries(rng: Rng, ordered: readonly GeneratedEvent[], rate: number): SampleEvent[] {
  if (ordered.length === 0) return []
  const count = Math.max(1, Math.round(ordered.length * rate))
  const indexes = ordered.map((_, index) => index)
  for (let i = 0; i < count; i++) {
    const j = rng.int(i, indexes.length - 1)
    ;[indexes[i], indexes[j]] = [indexes[j] as number, indexes[i] as number]
  }
  return indexes.slice(0, count).map((index) => (ordered[index] as GeneratedEvent).event)
}

function withRetries(
  rng: Rng,
  jobs: SampleJob[],
  retried: readonly SampleEvent[],
  jobOf: ReadonlyMap<string, number>,
): SampleJob[] {
  const singlesAfter = new Map<number, SampleJob[]>()
  const replay: SampleEvent[] = []

  for (const original of retried) {
    const resend = { ...original }
    const at = jobOf.get(original.event_id) as number
    const later = jobs
      .map((job, index) => ({ job, index }))
      .filter(({ job, index }) => index > at && job.name === 'batch' && hasRoom(job))

    if (rng.chance(0.5)) {
      singlesAfter.set(at, [...(singlesAfter.get(at) ?? []), { name: 'event', event: resend }])
    } else if (later.length > 0) {
      const target = rng.pick(later).job as Extract<SampleJob, { name: 'batch' }>
      target.events.splice(rng.int(0, target.events.length), 0, resend)
    } else {
      replay.push(resend)
    }
  }

  const sent = jobs.flatMap((job, index) => [job, ...(singlesAfter.get(index) ?? [])])
  for (let start = 0; start < replay.length; start += MAX_BATCH_EVENTS) {
    sent.push({ name: 'batch', events: replay.slice(start, start + MAX_BATCH_EVENTS) })
  }
  return sent
}

function hasRoom(job: SampleJob): boolean {
  return job.name === 'batch' && job.events.length < MAX_BATCH_EVENTS
}

function compare(a: SampleEvent, b: SampleEvent): number {
  return a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0
}
