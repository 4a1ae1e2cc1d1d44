import type { JobState, Queue } from 'bullmq'
import { Gauge, type Registry } from 'prom-client'
import type { WatchedQueues } from '../metering/watched-queues.js'

/** The job states reported for the metering queue. */
const STATES: JobState[] = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'failed',
  'completed',
]

interface Snapshot {
  counts: Record<string, number>
  deadLetters: number
  oldestWaitingSeconds: number
}

/**
 * Registers the queue gauges. Their values are read from Redis when Prometheus
 * scrapes (each gauge's `collect`), all from one read per scrape, and only for
 * `timeoutMs`: a Redis that does not answer leaves the gauges empty and
 * `metering_queue_up` at 0 instead of stalling the scrape or reporting old
 * figures as current.
 */
export function registerQueueFigures(
  registry: Registry,
  queues: Pick<WatchedQueues, 'metering' | 'deadLetters'>,
  timeoutMs = 1_000,
): void {
  const queue = queues.metering.name
  const reader = sharedRead(() => readSnapshot(queues.metering, queues.deadLetters), timeoutMs)
  const registers = [registry]

  new Gauge({
    name: 'metering_queue_up',
    help: 'Whether the queue figures of this scrape were read from Redis (1) or not (0).',
    registers,
    async collect() {
      this.set((await reader()) ? 1 : 0)
    },
  })
  new Gauge({
    name: 'metering_queue_jobs',
    help: 'Jobs in the metering queue, by state.',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      const snapshot = await reader()
      this.reset()
      for (const state of snapshot ? STATES : []) {
        this.set({ queue, state }, snapshot?.counts[state] ?? 0)
      }
    },
  })
  new Gauge({
    name: 'metering_dead_letters',
    help: 'Rejected events waiting in the dead-letter queue to be inspected and replayed.',
    labelNames: ['queue'],
    registers,
    async collect() {
      const snapshot = await reader()
      this.reset()
      if (snapshot) this.set({ queue }, snapshot.deadLetters)
    },
  })
  new Gauge({
    name: 'metering_oldest_waiting_job_age_seconds',
    help: 'How long the oldest waiting job has been in the queue; 0 when none waits.',
    labelNames: ['queue'],
    registers,
    async collect() {
      const snapshot = await reader()
      this.reset()
      if (snapshot) this.set({ queue }, snapshot.oldestWaitingSeconds)
    },
  })
}

async function readSnapshot(metering: Queue, deadLetters: Queue): Promise<Snapshot> {
  const [counts, deadLetterCount, [oldest]] = await Promise.all([
    metering.getJobCounts(...STATES),
    deadLetters.getJobCountByTypes('waiting', 'prioritized', 'delayed'),
    metering.getJobs(['waiting'], 0, 0, true),
  ])
  const oldestWaitingSeconds = oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0
  return { counts, deadLetters: deadLetterCount, oldestWaitingSeconds }
}

/**
 * One read shared by every gauge of a scrape: the gauges collect at the same
 * moment, and the first one starts the read the others wait for. Resolves to
 * undefined when Redis fails or overruns the deadline.
 */
function sharedRead<T>(read: () => Promise<T>, timeoutMs: number): () => Promise<T | undefined> {
  let current: Promise<T | undefined> | undefined
  return () => {
    current ??= withinDeadline(read, timeoutMs).finally(() => {
      current = undefined
    })
    return current
  }
}

async function withinDeadline<T>(read: () => Promise<T>, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs)
  })
  const answer = read().catch(() => undefined)
  try {
    return await Promise.race([answer, deadline])
  } finally {
    clearTimeout(timer)
  }
}
