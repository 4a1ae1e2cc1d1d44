import { setTimeout as sleep } from 'node:timers/promises'
import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { DedupStore } from '../../src/metering/dedup-store.js'
import type { UsageRecord } from '../../src/metering/event-schema.js'
import type { UsageRow } from '../../src/metering/usage-rows.js'
import { Batcher } from '../../workers/metering/batcher.js'
import { UsageSink } from '../../workers/metering/usage-sink.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { testLog, usageOf } from '../fixtures/metering.js'
import { connectRedis, dropPrefix, uniquePrefix } from '../fixtures/redis.js'

const redis = connectRedis()
const prefix = uniquePrefix('batcher')
let clickhouse: ClickHouse

test.before(async () => {
  clickhouse = await freshClickHouse()
})

test.after.always(async () => {
  await dropPrefix(redis, prefix)
  redis.disconnect()
  await clickhouse?.close()
})

const dedup = () => new DedupStore(redis, `${prefix}:metering:dedup`, 3_600)

function records(userId: number, count: number, micros = 1_000_000n): UsageRecord[] {
  return Array.from({ length: count }, (_, n) => ({
    eventId: `ev-${userId}-${n}`,
    userId,
    metric: 'encoding_cpu' as const,
    externalUserId: '',
    day: '2026-07-01',
    micros,
  }))
}

/** Injects faults around the real sink; the rows still reach the real table. */
class FaultySink extends UsageSink {
  inserts = 0
  constructor(
    private readonly fault: (attempt: number, insert: () => Promise<void>) => Promise<void>,
  ) {
    super(clickhouse)
  }

  override insert(batchId: string, rows: UsageRow[]): Promise<void> {
    this.inserts += 1
    return this.fault(this.inserts, () => super.insert(batchId, rows))
  }
}

const options = { batchSize: 100, intervalMs: 10, sweepIntervalMs: 50 }

test.serial(
  'an insert whose response is lost is retried under the same token and counts once',
  async (t) => {
    const sink = new FaultySink(async (attempt, insert) => {
      await insert()
      if (attempt === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    })
    const batcher = new Batcher(dedup(), sink, testLog, options)

    await batcher.add(records(1, 10))
    await batcher.close()

    t.is(sink.inserts, 2)
    t.deepEqual(await usageOf(clickhouse, 1), { 'encoding_cpu//2026-07-01': '10' })
  },
)

test.serial(
  'a batch left by a worker that died after its insert is adopted and counts once',
  async (t) => {
    const dying = new FaultySink(async (_attempt, insert) => {
      await insert()
      await new Promise(() => {}) // the process "dies" before it commits
    })
    const dead = new Batcher(dedup(), dying, testLog, {
      ...options,
      leaseMs: 300,
      sweepIntervalMs: 60_000,
    })
    void dead.add(records(2, 5))
    await sleep(100)

    const rescuer = new Batcher(dedup(), new UsageSink(clickhouse), testLog, {
      ...options,
      leaseMs: 300,
    })
    // The dead worker's jobs come back after a stall; the rescuer sees them held,
    // adopts the abandoned batch, and settles them as counted.
    await rescuer.add(records(2, 5))
    await rescuer.close()

    t.is(dying.inserts, 1)
    t.deepEqual(await usageOf(clickhouse, 2), { 'encoding_cpu//2026-07-01': '5' })
  },
)

test.serial(
  'the same event in two concurrent batches is written by one of them only',
  async (t) => {
    const slow = new FaultySink(async (_attempt, insert) => {
      await sleep(300)
      await insert()
    })
    const first = new Batcher(dedup(), slow, testLog, options)
    const second = new Batcher(dedup(), new UsageSink(clickhouse), testLog, options)

    const one = first.add(records(3, 20))
    await sleep(50)
    await Promise.all([one, second.add(records(3, 20))])
    await Promise.all([first.close(), second.close()])

    t.deepEqual(await usageOf(clickhouse, 3), { 'encoding_cpu//2026-07-01': '20' })
  },
)

test.serial(
  'a closing batcher gives up on a dead store after its deadline and keeps the journal',
  async (t) => {
    const down = new FaultySink(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    })
    const batcher = new Batcher(dedup(), down, testLog, { ...options, closeDeadlineMs: 300 })
    const settled = batcher.add(records(4, 3))
    await batcher.close()

    const error = await t.throwsAsync(settled)
    t.regex(error?.message ?? '', /abandoned at shutdown/)

    const rescuer = new Batcher(dedup(), new UsageSink(clickhouse), testLog, {
      ...options,
      leaseMs: 100,
    })
    await sleep(400)
    await rescuer.add(records(4, 3))
    await rescuer.close()
    t.deepEqual(await usageOf(clickhouse, 4), { 'encoding_cpu//2026-07-01': '3' })
  },
)
