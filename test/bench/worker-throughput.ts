/**
 * Worker throughput on a pre-filled queue, against a baseline measured in the
 * same run: a BullMQ worker whose processor does nothing, on the same Redis,
 * with the same concurrency and the same jobs. Prints medians with min–max.
 *
 *   npx tsx test/bench/worker-throughput.ts [--events N] [--rounds N] [--shape single|batch]
 */
import { parseArgs } from 'node:util'
import { type Job, Queue, Worker } from 'bullmq'
import { METERING_QUEUE } from '../../src/metering/queues.js'
import { startMeteringWorker } from '../../workers/metering/worker.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { makeUser, testLog, workerConfig } from '../fixtures/metering.js'
import { freshDatabase } from '../fixtures/postgres.js'
import { connectRedis, dropPrefix, uniquePrefix } from '../fixtures/redis.js'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    /** One shape only; both when unset. */
    shape: { type: 'string' },
  },
})
const totalEvents = Number(values.events)
const rounds = Number(values.rounds)
const concurrency = 500

type Shape = 'single' | 'batch'

interface Subject {
  name: string
  start(prefix: string): { worker: Worker; close(): Promise<void> }
}

const postgres = await freshDatabase()
const clickhouse = await freshClickHouse()
const userId = await makeUser(postgres.db, 'bench')
const redis = connectRedis()

function eventsFor(round: string, count: number) {
  return Array.from({ length: count }, (_, n) => ({
    event_id: `${round}-${n}`,
    type: 'usage',
    user_id: userId,
    metric: 'encoding_cpu',
    value: 0.25,
    occurred_at: '2026-11-30T10:00:00Z',
  }))
}

async function fill(queue: Queue, shape: Shape, round: string): Promise<number> {
  const events = eventsFor(round, totalEvents)
  const jobs =
    shape === 'single'
      ? events.map((data) => ({ name: 'event', data }))
      : Array.from({ length: Math.ceil(events.length / 1_000) }, (_, n) => ({
          name: 'batch',
          data: { events: events.slice(n * 1_000, (n + 1) * 1_000) },
        }))
  for (let start = 0; start < jobs.length; start += 1_000) {
    await queue.addBulk(jobs.slice(start, start + 1_000))
  }
  return jobs.length
}

/** Seconds from the worker's start until it has completed every job. */
async function timeRun(subject: Subject, shape: Shape, round: string): Promise<number> {
  const prefix = uniquePrefix(`bench-${round}`)
  const queueRedis = connectRedis({ blocking: true })
  const queue = new Queue(METERING_QUEUE, { connection: queueRedis, prefix })
  const jobs = await fill(queue, shape, round)

  const started = performance.now()
  const running = subject.start(prefix)
  let done = 0
  await new Promise<void>((resolve, reject) => {
    running.worker.on('completed', () => {
      done += 1
      if (done === jobs) resolve()
    })
    running.worker.on('failed', (_job: Job | undefined, err: Error) => reject(err))
  })
  const seconds = (performance.now() - started) / 1_000

  await running.close()
  await queue.close()
  await dropPrefix(redis, prefix)
  queueRedis.disconnect()
  return seconds
}

const noop: Subject = {
  name: 'no-op BullMQ worker',
  start(prefix) {
    const connection = connectRedis({ blocking: true })
    const worker = new Worker(METERING_QUEUE, async () => undefined, {
      connection,
      prefix,
      concurrency,
      removeOnComplete: { age: 3_600, count: 10_000 },
    })
    return {
      worker,
      async close() {
        await worker.close()
        connection.disconnect()
      },
    }
  },
}

const meter: Subject = {
  name: 'metering worker',
  start(prefix) {
    const queueRedis = connectRedis({ blocking: true })
    const commandRedis = connectRedis()
    const metering = startMeteringWorker({
      config: workerConfig(prefix, { concurrency }),
      log: testLog,
      db: postgres.db,
      clickhouse,
      queueRedis,
      commandRedis,
    })
    return {
      worker: metering.worker,
      async close() {
        await metering.close()
        queueRedis.disconnect()
        commandRedis.disconnect()
      },
    }
  },
}

function summary(rates: number[]): string {
  const sorted = [...rates].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)] as number
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
  return `${fmt(median)} (${fmt(sorted[0] as number)}–${fmt(sorted.at(-1) as number)})`
}

const shapes = (['single', 'batch'] as const).filter((shape) => (values.shape ?? shape) === shape)
for (const shape of shapes) {
  const rates: Record<string, number[]> = { [noop.name]: [], [meter.name]: [] }
  for (let round = 0; round < rounds + 1; round++) {
    // Alternate the order so drift of the machine hits both alike; round 0 warms up.
    const order = round % 2 === 0 ? [noop, meter] : [meter, noop]
    for (const subject of order) {
      const seconds = await timeRun(subject, shape, `${shape}-${round}-${subject === meter}`)
      if (round > 0) rates[subject.name]?.push(totalEvents / seconds)
    }
  }

  const ratios = (rates[meter.name] as number[]).map(
    (rate, i) => rate / ((rates[noop.name] as number[])[i] as number),
  )
  const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)] as number
  console.log(`${shape}-event jobs, ${totalEvents} events, concurrency ${concurrency}:`)
  for (const [name, list] of Object.entries(rates)) {
    console.log(`  ${name.padEnd(20)} ${summary(list)} events/s`)
  }
  const [low, high] = [Math.min(...ratios), Math.max(...ratios)]
  console.log(`  ratio (median)       ${median.toFixed(2)}× (${low.toFixed(2)}–${high.toFixed(2)})`)
}

redis.disconnect()
await clickhouse.close()
await postgres.close()
