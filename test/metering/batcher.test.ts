import { setTimeout as sleep } from 'node:timers/promises'
import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { DedupStore } from '../../src/metering/dedup-store.js'
import type { MeterRecord, UsageRecord } from '../../src/metering/event-schema.js'
import { Batcher } from '../../workers/metering/batcher.js'
import { type BatchSummary, MeterSink } from '../../workers/metering/meter-sink.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { makeUser, testLog, usageOf } from '../fixtures/metering.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'
import { connectRedis, dropPrefix, uniquePrefix } from '../fixtures/redis.js'

const redis = connectRedis()
const prefix = uniquePrefix('batcher')
let clickhouse: ClickHouse
let postgres: FreshDatabase

test.before(async () => {
  clickhouse = await freshClickHouse()
  postgres = await freshDatabase()
})

test.after.always(async () => {
  await dropPrefix(redis, prefix)
  redis.disconnect()
  await clickhouse?.close()
  await postgres?.close()
})

const dedup = () => new DedupStore(redis, `${prefix}:metering:dedup`, 3_600)

function records(userId: number, count: number, micros = 1_000_000n): UsageRecord[] {
  return Array.from({ length: count }, (_, n) => ({
    kind: 'usage' as const,
    eventId: `ev-${userId}-${n}`,
    userId,
    occurredAt: Date.parse('2026-07-01T12:00:00Z'),
    metric: 'encoding_cpu' as const,
    externalUserId: '',
    day: '2026-07-01',
    micros,
  }))
}

/** Injects faults around the real sink; the rows still reach the real table. */
class FaultySink extends MeterSink {
  inserts = 0
  constructor(
    private readonly fault: (attempt: number, insert: () => Promise<BatchSummary>) => Promise<void>,
  ) {
    super(clickhouse, postgres.db)
  }

  override async write(batchId: string, records: readonly MeterRecord[]): Promise<BatchSummary> {
    this.inserts += 1
    let summary: BatchSummary | undefined
    await this.fault(this.inserts, async () => {
      summary = await super.write(batchId, records)
      return summary
    })
    return summary ?? { usageRows: 0, bandwidthRows: 0, activityEntries: 0 }
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
  'a mixed batch written twice stores its bandwidth rows and activity entries once',
  async (t) => {
    const sink = new FaultySink(async (attempt, insert) => {
      await insert()
      if (attempt === 1) throw new Error('response lost')
    })
    const batcher = new Batcher(dedup(), sink, testLog, options)
    const user = await makeUser(postgres.db)
    // ClickHouse has no foreign keys: usage and bandwidth use an id no other test bills.
    const billed = 1_000 + user
    const occurredAt = Date.parse('2026-07-01T12:00:00Z')
    const bandwidth = Array.from({ length: 3 }, (_, n) => ({
      kind: 'bandwidth' as const,
      eventId: `mixed-bw-${n}`,
      userId: billed,
      occurredAt,
      day: '2026-07-01',
      videoUlid: '01HZX3K8Q9V2W7M4N6P5R0S1T2',
      externalUserId: '',
      sessionId: `s-${n}`,
      ip: '::ffff:192.0.2.1',
      bytes: 1_000n,
    }))
    const activity = {
      kind: 'activity' as const,
      eventId: 'mixed-act',
      userId: user,
      occurredAt,
      event: 'video.uploaded',
      description: 'one',
      subjectType: null,
      subjectId: null,
      properties: {},
    }

    await batcher.add([...records(billed, 2), ...bandwidth, activity])
    await batcher.close()

    t.is(sink.inserts, 2)
    t.deepEqual(await usageOf(clickhouse, billed), { 'encoding_cpu//2026-07-01': '2' })
    const stored = await clickhouse.client.query({
      query:
        'SELECT count() AS n, toString(sum(bytes)) AS bytes ' +
        `FROM ${clickhouse.database}.bandwidth`,
      format: 'JSONEachRow',
    })
    t.deepEqual(await stored.json(), [{ n: 3, bytes: '3000' }])
    const entries = await postgres.db.sequelize.query(
      'SELECT count(*) AS n FROM activity_log WHERE user_id = $1',
      { bind: [user], plain: true },
    )
    t.deepEqual(entries, { n: 1 })
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

    const rescuer = new Batcher(dedup(), new MeterSink(clickhouse, postgres.db), testLog, {
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
    const second = new Batcher(dedup(), new MeterSink(clickhouse, postgres.db), testLog, options)

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

    const rescuer = new Batcher(dedup(), new MeterSink(clickhouse, postgres.db), testLog, {
      ...options,
      leaseMs: 100,
    })
    await sleep(400)
    await rescuer.add(records(4, 3))
    await rescuer.close()
    t.deepEqual(await usageOf(clickhouse, 4), { 'encoding_cpu//2026-07-01': '3' })
  },
)

/** The real store, noting how many ids each claim carried. */
class CountingDedup extends DedupStore {
  claims: number[] = []

  override claim(...args: Parameters<DedupStore['claim']>) {
    this.claims.push(args[1].length)
    return super.claim(...args)
  }
}

test.serial('jobs whose events are already being written start no further flush', async (t) => {
  const store = new CountingDedup(redis, `${prefix}:metering:dedup`, 3_600)
  const batcher = new Batcher(store, new MeterSink(clickhouse, postgres.db), testLog, {
    ...options,
    intervalMs: 60_000,
    flushWhenJobsWaiting: 2,
  })
  const [first, second] = records(6, 2) as [UsageRecord, UsageRecord]

  await Promise.all([batcher.add([first]), batcher.add([second])])
  await batcher.close()

  t.deepEqual(store.claims, [2])
  t.deepEqual(await usageOf(clickhouse, 6), { 'encoding_cpu//2026-07-01': '2' })
})
