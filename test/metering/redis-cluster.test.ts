import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import test from 'ava'
import { Redis } from 'ioredis'
import { DedupStore } from '../../src/metering/dedup-store.js'
import { MeteringProducer } from '../../src/metering/producer.js'
import { dedupKeyBase } from '../../src/metering/queues.js'
import { readUsage } from '../../src/usage/usage-query.js'
import { startMeteringWorker } from '../../workers/metering/worker.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { makeUser, testLog, workerConfig } from '../fixtures/metering.js'
import { freshDatabase } from '../fixtures/postgres.js'
import { RedisServer } from '../fixtures/redis-server.js'

let node: RedisServer

test.before(async () => {
  node = await RedisServer.start({ cluster: true, appendOnly: false })
})

test.after.always(async () => {
  await node?.close()
})

/** Every key on the node, with the slot the node itself gives it. */
async function slotsOfAllKeys(redis: Redis): Promise<Map<string, number>> {
  const slots = new Map<string, number>()
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000)
    cursor = next
    for (const key of keys) slots.set(key, Number(await redis.call('CLUSTER', 'KEYSLOT', key)))
  } while (cursor !== '0')
  return slots
}

test.serial(
  'with a hash-tagged prefix the meter runs on Redis Cluster, all keys in one slot',
  async (t) => {
    const postgres = await freshDatabase()
    t.teardown(() => postgres.close())
    const clickhouse = await freshClickHouse()
    t.teardown(() => clickhouse.close())
    const queueRedis = new Redis(node.url, { maxRetriesPerRequest: null })
    const commandRedis = new Redis(node.url)
    t.teardown(() => {
      queueRedis.disconnect()
      commandRedis.disconnect()
    })

    const prefix = `{nukevideo-${randomBytes(4).toString('hex')}}`
    const metering = startMeteringWorker({
      config: workerConfig(prefix, { flushBatchSize: 1_000, flushIntervalMs: 50, concurrency: 10 }),
      log: testLog,
      db: postgres.db,
      clickhouse,
      queueRedis,
      commandRedis,
    })
    const producer = await MeteringProducer.connect({ redisUrl: node.url, prefix })
    t.teardown(async () => {
      await producer.close()
      await metering.close()
    })

    const userId = await makeUser(postgres.db)
    const occurredAt = '2026-04-01T10:00:00Z'
    const encoding = (eventId: string, seconds: string) =>
      ({
        event_id: eventId,
        type: 'usage',
        user_id: userId,
        metric: 'encoding_cpu',
        value: seconds,
        occurred_at: occurredAt,
      }) as const
    await producer.record(encoding('enc-1', '0.1'))
    await producer.recordBatch([
      encoding('enc-2', '0.2'),
      encoding('enc-3', '0.3'),
      encoding('enc-1', '0.1'),
    ])

    const range = { from: '2026-04-01', to: '2026-04-01' }
    const deadline = Date.now() + 30_000
    let usage = await readUsage(clickhouse, userId, range)
    while (usage[0]?.events !== 3 && Date.now() < deadline) {
      await sleep(50)
      usage = await readUsage(clickhouse, userId, range)
    }
    t.deepEqual(usage, [
      {
        metric: 'encoding_cpu',
        external_user_id: '',
        date: '2026-04-01',
        value: '0.6',
        unit: 'seconds',
        events: 3,
      },
    ])

    const slots = await slotsOfAllKeys(commandRedis)
    const tagSlot = Number(await commandRedis.call('CLUSTER', 'KEYSLOT', prefix))
    t.true([...slots.keys()].some((key) => key.startsWith(`${dedupKeyBase(prefix)}:ids:`)))
    t.true([...slots.keys()].some((key) => key.startsWith(`${prefix}:metering:`)))
    t.deepEqual(new Set(slots.values()), new Set([tagSlot]))
  },
)

test.serial('without a hash tag the dedup scripts are refused as cross-slot', async (t) => {
  const redis = new Redis(node.url)
  t.teardown(() => redis.disconnect())
  const dedup = new DedupStore(redis, dedupKeyBase('bull'), 3_600)

  await t.throwsAsync(dedup.claim('0'.repeat(32), [{ eventId: 'enc-1', stored: '[]' }], 10_000), {
    message: /^CROSSSLOT/,
  })
})
