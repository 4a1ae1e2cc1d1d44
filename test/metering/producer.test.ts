import test from 'ava'
import { Queue } from 'bullmq'
import {
  InvalidEventError,
  MeteringProducer,
  ProducerUnavailableError,
} from '../../src/metering/producer.js'
import { METERING_QUEUE } from '../../src/metering/queues.js'
import { freePort } from '../fixtures/processes.js'
import { connectRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../fixtures/redis.js'

const prefix = uniquePrefix('producer')
const redis = connectRedis()
const queueRedis = connectRedis()
let producer: MeteringProducer
let queue: Queue

test.before(async () => {
  producer = await MeteringProducer.connect({ redisUrl: REDIS_URL, prefix })
  queue = new Queue(METERING_QUEUE, { connection: queueRedis, prefix })
})

test.after.always(async () => {
  await producer?.close()
  await queue?.close()
  await dropPrefix(redis, prefix)
  redis.disconnect()
  queueRedis.disconnect()
})

const upload = (eventId: string) => ({
  event_id: eventId,
  type: 'usage' as const,
  user_id: 1,
  metric: 'upload_bytes' as const,
  value: 1,
})

test.serial('bad input is refused before the queue, every field named', async (t) => {
  const bad = producer.recordEncoding({
    eventId: 'e-1',
    userId: 0,
    engine: 'tpu' as 'cpu',
    seconds: 1,
  })
  const error = await t.throwsAsync(bad, { instanceOf: InvalidEventError })
  t.deepEqual(error?.errors, { engine: ['must be cpu or gpu'] })
  t.false(error?.retryable)

  const batch = await t.throwsAsync(
    producer.recordBatch([upload('b-1'), { ...upload('b-2'), value: -1 }]),
    { instanceOf: InvalidEventError },
  )
  t.deepEqual(Object.keys(batch?.errors ?? {}), ['events.1.value'])
  await t.throwsAsync(producer.recordBatch([]), { instanceOf: InvalidEventError })
  t.is(await queue.count(), 0)
})

test.serial('jobs carry retries, and no two id lists share a batch job id', async (t) => {
  const single = await producer.recordUpload({ eventId: 'u-1', userId: 1, bytes: 5 })
  const joined = await producer.recordBatch([upload('x\ny')])
  const apart = await producer.recordBatch([upload('x'), upload('y')])

  t.not(joined, apart)
  const job = await queue.getJob(single)
  t.is(job?.opts.attempts, 10)
  t.deepEqual(job?.data, { ...upload('u-1'), value: 5 })
})

test('an unreachable Redis fails fast with a retryable error', async (t) => {
  const started = Date.now()
  const error = await t.throwsAsync(
    MeteringProducer.connect({ redisUrl: `redis://127.0.0.1:${await freePort()}` }),
    { instanceOf: ProducerUnavailableError },
  )

  t.true(error?.retryable)
  t.true(Date.now() - started < 5_000)
})
