import { DelayedError, type Job, UnrecoverableError } from 'bullmq'
import type { UserDirectory } from '../../src/accounts/user-directory.js'
import type { Logger } from '../../src/logger.js'
import { MAX_BATCH_EVENTS, type MeterRecord, parseEvent } from '../../src/metering/event-schema.js'
import { JOB_NAMES, type JobName } from '../../src/metering/queues.js'
import { describeFieldErrors } from '../../src/validation.js'
import type { Batcher } from './batcher.js'
import type { DeadLetters, Rejection } from './dead-letters.js'
import type { JobMetrics } from './meter-metrics.js'

export interface JobOutcome {
  accepted: number
  rejected: number
}

export interface ProcessorDeps {
  log: Logger
  batcher: Batcher
  users: UserDirectory
  deadLetters: DeadLetters
  /** Told of each job's accepted and rejected events once they are settled. */
  metrics?: JobMetrics
}

interface Parsed {
  record: MeterRecord
  raw: unknown
  index: number | null
}

interface Unpacked {
  /** Raw events with their position in a batch (null for a single-event job). */
  events: { raw: unknown; index: number | null }[]
  rejections: Rejection[]
}

/** How each job name turns into events; exactly one entry per declared name. */
const unpackers: Record<JobName, (job: Job) => Unpacked> = {
  [JOB_NAMES.event]: (job) => ({ events: [{ raw: job.data, index: null }], rejections: [] }),
  [JOB_NAMES.batch]: unpackBatch,
}

/** Fails start-up when a declared job name has no unpacker, or an unpacker no name. */
export function assertHandlersComplete(): void {
  const declared = Object.values(JOB_NAMES).sort()
  const handled = Object.keys(unpackers).sort()
  if (declared.join() !== handled.join()) {
    throw new Error(`job handlers ${handled.join()} do not match job names ${declared.join()}`)
  }
}

/**
 * The processor of the `metering` queue. Invalid events and events for unknown
 * users are dead-lettered and never retried; the valid events of the job are
 * handed to the batcher, and the job completes only once they are durable.
 * A failure of a store delays the job, which then runs again.
 */
export function createProcessor(deps: ProcessorDeps) {
  const processJob = jobProcessor(deps)

  return async function processMeteringJob(job: Job, token?: string): Promise<JobOutcome> {
    try {
      return await processJob(job)
    } catch (err) {
      if (err instanceof UnrecoverableError || token === undefined) throw err

      // A store is down or slow, not the input at fault: the job waits and
      // runs again for as long as it takes, whatever attempts its producer
      // set, since a job failed for good would be an event lost.
      const delayMs = Math.min(maxRetryDelayMs, 500 * 2 ** Math.min(job.attemptsStarted, 10))
      deps.log.warn(
        { err, job_id: job.id, job_name: job.name, delay_ms: delayMs },
        'stores unavailable; job delayed',
      )
      await job.moveToDelayed(Date.now() + delayMs, token)
      throw new DelayedError()
    }
  }
}

const maxRetryDelayMs = 30_000

function jobProcessor(deps: ProcessorDeps) {
  return async function processMeteringJobOnce(job: Job): Promise<JobOutcome> {
    // Own keys only: `constructor` or `toString` as a job name must not find Object's members.
    const unpack = Object.hasOwn(unpackers, job.name) ? unpackers[job.name as JobName] : undefined
    const unpacked = unpack ? unpack(job) : unknownJob(job)

    const parsed: Parsed[] = []
    const rejections = [...unpacked.rejections]
    for (const { raw, index } of unpacked.events) {
      const result = parseEvent(raw, job.timestamp)
      if (result.ok) parsed.push({ record: result.record, raw, index })
      else rejections.push({ event: raw, errors: result.errors, index })
    }

    const valid = await dropUnknownUsers(deps.users, parsed, rejections)
    await deps.deadLetters.park(job, rejections)
    await deps.batcher.add(valid)
    deps.metrics?.jobDone(valid.length, rejections)

    const wholeJobRejected = job.name !== JOB_NAMES.batch || unpacked.events.length === 0
    if (wholeJobRejected && rejections.length > 0) {
      // The job fails visibly and is never retried; its content also waits in
      // the dead-letter queue, the one place replays start from.
      const [rejection] = rejections as [Rejection]
      throw new UnrecoverableError(`invalid event: ${describeFieldErrors(rejection.errors)}`)
    }
    return { accepted: valid.length, rejected: rejections.length }
  }
}

function unpackBatch(job: Job): Unpacked {
  const events = (job.data as { events?: unknown } | null)?.events
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_BATCH_EVENTS) {
    const errors = { events: [`must be an array of 1 to ${MAX_BATCH_EVENTS} events`] }
    return { events: [], rejections: [{ event: job.data, errors, index: null }] }
  }
  return { events: events.map((raw, index) => ({ raw, index })), rejections: [] }
}

function unknownJob(job: Job): Unpacked {
  const names = Object.values(JOB_NAMES).join(' or ')
  const errors = { job_name: [`must be ${names}, got ${JSON.stringify(job.name)}`] }
  return { events: [], rejections: [{ event: job.data, errors, index: null }] }
}

async function dropUnknownUsers(
  users: UserDirectory,
  parsed: Parsed[],
  rejections: Rejection[],
): Promise<MeterRecord[]> {
  if (parsed.length === 0) return []

  const existing = await users.existing(parsed.map(({ record }) => record.userId))
  const valid: MeterRecord[] = []
  for (const { record, raw, index } of parsed) {
    if (existing.has(record.userId)) valid.push(record)
    else rejections.push({ event: raw, errors: { user_id: ['no such user'] }, index })
  }
  return valid
}
