import test from 'ava'
import { drained, makeUser, meterSuite, usageOf } from '../fixtures/metering.js'

const suite = meterSuite(test)

const day = '2026-04-01T12:00:00Z'

test.serial(
  'CPU seconds flushed in three batches sum to exactly 0.6, before and after a merge',
  async (t) => {
    const userId = await makeUser(suite.postgres.db)
    for (const [i, seconds] of [0.1, 0.2, 0.3].entries()) {
      await suite.meter.producer.recordEncoding({
        eventId: `cpu-${userId}-${i}`,
        userId,
        engine: 'cpu',
        seconds,
        occurredAt: day,
      })
      await drained(suite.meter.queue)
    }

    t.deepEqual(await usageOf(suite.clickhouse, userId), { 'encoding_cpu//2026-04-01': '0.6' })
    await suite.clickhouse.client.command({
      query: `OPTIMIZE TABLE ${suite.clickhouse.database}.usage FINAL`,
    })
    t.deepEqual(await usageOf(suite.clickhouse, userId), { 'encoding_cpu//2026-04-01': '0.6' })
  },
)

test.serial('bytes beyond 2^53 read back exactly, and 100 + 200 bytes as 300', async (t) => {
  const big = await makeUser(suite.postgres.db)
  const small = await makeUser(suite.postgres.db)
  await suite.meter.producer.recordUpload({
    eventId: `big-${big}`,
    userId: big,
    bytes: '9007199254740993',
    occurredAt: day,
  })
  await suite.meter.producer.recordUpload({
    eventId: `s1-${small}`,
    userId: small,
    bytes: 100,
    occurredAt: day,
  })
  await suite.meter.producer.recordUpload({
    eventId: `s2-${small}`,
    userId: small,
    bytes: 200,
    occurredAt: day,
  })
  await drained(suite.meter.queue)

  t.deepEqual(await usageOf(suite.clickhouse, big), {
    'upload_bytes//2026-04-01': '9007199254740993',
  })
  t.deepEqual(await usageOf(suite.clickhouse, small), { 'upload_bytes//2026-04-01': '300' })
})

test.serial('three different events with identical contents count three times', async (t) => {
  const userId = await makeUser(suite.postgres.db)
  const events = [1, 2, 3].map((n) => ({
    event_id: `same-${userId}-${n}`,
    type: 'usage' as const,
    user_id: userId,
    metric: 'encoding_gpu' as const,
    value: 1.5,
    external_user_id: 'cust-9',
    occurred_at: day,
  }))
  await suite.meter.producer.recordBatch(events)
  await drained(suite.meter.queue)

  t.deepEqual(await usageOf(suite.clickhouse, userId), { 'encoding_gpu/cust-9/2026-04-01': '4.5' })
})

test.serial('an event sent again after its job is gone counts once', async (t) => {
  const userId = await makeUser(suite.postgres.db)
  const event = { eventId: `again-${userId}`, userId, bytes: 1_000, occurredAt: day }
  await suite.meter.producer.recordUpload(event)
  await drained(suite.meter.queue)

  await suite.meter.queue.clean(0, 1_000, 'completed')
  await suite.meter.producer.recordUpload(event)
  await suite.meter.producer.recordBatch([
    {
      event_id: event.eventId,
      type: 'usage',
      user_id: userId,
      metric: 'upload_bytes',
      value: 1_000,
      occurred_at: day,
    },
  ])
  await drained(suite.meter.queue)

  t.deepEqual(await usageOf(suite.clickhouse, userId), { 'upload_bytes//2026-04-01': '1000' })
  t.is(await suite.meter.queue.getCompletedCount(), 2)
})

test.serial('occurred_at decides the UTC day', async (t) => {
  const userId = await makeUser(suite.postgres.db)
  await suite.meter.producer.recordUpload({
    eventId: `late-${userId}`,
    userId,
    bytes: 5,
    occurredAt: '2026-03-31T23:30:00-05:00',
  })
  await drained(suite.meter.queue)

  t.deepEqual(await usageOf(suite.clickhouse, userId), { 'upload_bytes//2026-04-01': '5' })
})
