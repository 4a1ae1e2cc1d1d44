/**
 * Profiles the metering worker on a pre-filled queue: a V8 CPU profile of each
 * measured run (not of filling the queue), written as `<out>-<round>.cpuprofile`,
 * and the wall time spent in each step of a flush. Summarise the profiles with
 * `profile-summary.ts`.
 *
 *   npx tsx test/bench/worker-profile.ts [--shape batch|single] [--events N]
 *     [--rounds N] [--out path-prefix] [--timeline]
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { parseArgs } from 'node:util'
import { Queue } from 'bullmq'
import { UserDirectory } from '../../src/accounts/user-directory.js'
import { DedupStore } from '../../src/metering/dedup-store.js'
import { METERING_QUEUE } from '../../src/metering/queues.js'
import { MeterSink } from '../../workers/metering/meter-sink.js'
import { startMeteringWorker } from '../../workers/metering/worker.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { makeUser, testLog, workerConfig } from '../fixtures/metering.js'
import { freshDatabase } from '../fixtures/postgres.js'
import { connectRedis, dropPrefix, uniquePrefix } from '../fixtures/redis.js'

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'batch' },
    events: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string', default: 'worker' },
    timeline: { type: 'boolean', default: false },
  },
})
const shape = values.shape === 'single' ? 'single' : 'batch'
const totalEvents = Number(values.events)
const rounds = Number(values.rounds)

/** Wall milliseconds and calls per step, summed over the measured rounds. */
const steps = new Map<string, { ms: number; calls: number }>()
let measuring = false
/** Start and end of each step in the last round, ms from its start, for `--timeline`. */
let timeline: string[] = []
let roundStarted = 0

/** Wraps an async method so that its wall time adds up under `step`. */
function timeStep(target: object, method: string, step: string): void {
  const proto = target as Record<string, (...args: unknown[]) => Promise<unknown>>
  const original = proto[method] as (...args: unknown[]) => Promise<unknown>
  proto[method] = async function (this: unknown, ...args: unknown[]) {
    const started = performance.now()
    try {
      return await original.apply(this, args)
    } finally {
      const at = (ms: number) => (ms - roundStarted).toFixed(1).padStart(7)
      timeline.push(`${at(started)} → ${at(performance.now())}  ${step}`)
      if (measuring) {
        const entry = steps.get(step) ?? { ms: 0, calls: 0 }
        entry.ms += performance.now() - started
        entry.calls += 1
        steps.set(step, entry)
      }
    }
  }
}
timeStep(DedupStore.prototype, 'claim', 'dedup claim')
timeStep(DedupStore.prototype, 'commit', 'dedup commit')
timeStep(MeterSink.prototype, 'write', 'sink write')
timeStep(UserDirectory.prototype, 'existing', 'user lookup')

const postgres = await freshDatabase()
const clickhouse = await freshClickHouse()
const userId = await makeUser(postgres.db, 'profile')
const redis = connectRedis()
const session = new Session()
session.connect()
await session.post('Profiler.enable')

function jobsFor(round: number) {
  const events = Array.from({ length: totalEvents }, (_, n) => ({
    event_id: `${round}-${n}`,
    type: 'usage',
    user_id: userId,
    metric: 'encoding_cpu',
    value: 0.25,
    occurred_at: '2026-11-30T10:00:00Z',
  }))
  if (shape === 'single') return events.map((data) => ({ name: 'event', data }))
  return Array.from({ length: Math.ceil(totalEvents / 1_000) }, (_, n) => ({
    name: 'batch',
    data: { events: events.slice(n * 1_000, (n + 1) * 1_000) },
  }))
}

async function run(round: number): Promise<number> {
  const prefix = uniquePrefix(`profile-${round}`)
  const queueRedis = connectRedis({ blocking: true })
  const commandRedis = connectRedis()
  const queue = new Queue(METERING_QUEUE, { connection: queueRedis, prefix })
  const jobs = jobsFor(round)
  for (let start = 0; start < jobs.length; start += 1_000) {
    await queue.addBulk(jobs.slice(start, start + 1_000))
  }

  measuring = round > 0
  timeline = []
  if (measuring) await session.post('Profiler.start')
  const started = performance.now()
  roundStarted = started
  const metering = startMeteringWorker({
    config: workerConfig(prefix),
    log: testLog,
    db: postgres.db,
    clickhouse,
    queueRedis,
    commandRedis,
  })
  let done = 0
  await new Promise<void>((resolve, reject) => {
    metering.worker.on('completed', () => {
      if (done === 0 || done === jobs.length - 1) {
        timeline.push(`${(performance.now() - started).toFixed(1).padStart(7)}  job completed`)
      }
      done += 1
      if (done === jobs.length) resolve()
    })
    metering.worker.on('failed', (_job, err) => reject(err))
  })
  const ms = performance.now() - started
  if (measuring) {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(`${values.out}-${round}.cpuprofile`, JSON.stringify(profile))
  }
  measuring = false

  await metering.close()
  await queue.close()
  await dropPrefix(redis, prefix)
  queueRedis.disconnect()
  commandRedis.disconnect()
  return ms
}

// Round 0 warms up and is neither profiled nor timed.
await run(0)
let totalMs = 0
for (let round = 1; round <= rounds; round++) totalMs += await run(round)

if (values.timeline) console.log(`last round:\n  ${timeline.sort().join('\n  ')}`)
const measured = totalEvents * rounds
console.log(`${shape} jobs, ${measured} events in ${Math.round(totalMs)} ms`)
console.log(`  ${((totalMs * 1_000) / measured).toFixed(2)} µs per event, wall`)
for (const [step, { ms, calls }] of steps) {
  const perEvent = ((ms * 1_000) / measured).toFixed(2)
  console.log(`  ${step.padEnd(14)} ${calls} calls, ${Math.round(ms)} ms, ${perEvent} µs/event`)
}

session.disconnect()
redis.disconnect()
await clickhouse.close()
await postgres.close()
