import test from 'ava'
import type { DeadLetter } from '../../src/metering/queues.js'
import { drained, makeUser, meterSuite, usageOf } from '../fixtures/metering.js'

const suite = meterSuite(test)

const occurred_at = '2026-06-01T00:00:00Z'
const bytesRule =
  'must be a whole number of bytes from 0 to 9223372036854775807 (a decimal string above 2^53)'

async function deadLetters(): Promise<DeadLetter[]> {
  const jobs = await suite.meter.deadLetters.getJobs(['waiting'], 0, 1_000, true)
  return jobs.map((job) => job.data as DeadLetter)
}

test.serial(
  'invalid single events fail once, name the field, and never block the others',
  async (t) => {
    const userId = await makeUser(suite.postgres.db)
    const base = { type: 'usage', user_id: userId, metric: 'upload_bytes', occurred_at }
    const bad: [string, unknown, Record<string, string[]>][] = [
      ['neg', { ...base, value: -1 }, { value: [bytesRule] }],
      ['frac', { ...base, value: 1.5 }, { value: [bytesRule] }],
      ['abc', { ...base, value: 'abc' }, { value: [bytesRule] }],
      ['nan', { ...base, value: Number.NaN }, { value: ['must be a number or a decimal string'] }],
      ['big', { ...base, value: '18446744073709551616' }, { value: [bytesRule] }],
      [
        'metric',
        { ...base, metric: 'frames', value: 1 },
        {
          metric: ['must be one of upload_bytes, encoding_cpu, encoding_gpu'],
        },
      ],
      ['nouser', { ...base, user_id: undefined, value: 1 }, { user_id: ['is required'] }],
      ['ghost', { ...base, user_id: 987_654_321, value: 1 }, { user_id: ['no such user'] }],
    ]
    // Producers in other languages skip our client-side checks, so enqueue raw jobs.
    for (const [id, event] of bad) {
      await suite.meter.queue.add('event', { event_id: `${id}-${userId}`, ...(event as object) })
    }
    await suite.meter.producer.recordUpload({
      eventId: `ok-${userId}`,
      userId,
      bytes: 42,
      occurredAt: occurred_at,
    })
    await drained(suite.meter.queue)

    t.deepEqual(await usageOf(suite.clickhouse, userId), { 'upload_bytes//2026-06-01': '42' })
    const failed = await suite.meter.queue.getFailed()
    t.is(failed.length, bad.length)
    for (const job of failed) {
      t.is(job.attemptsMade, 1, 'never retried')
      t.regex(job.failedReason, /^invalid event: (value|metric|user_id): /)
    }

    const parked = await deadLetters()
    for (const [id, , errors] of bad) {
      const letter = parked.find(
        (entry) => (entry.event as { event_id: string }).event_id === `${id}-${userId}`,
      )
      t.deepEqual(letter?.errors, errors, id)
    }
  },
)

test.serial(
  'in a batch job the valid events count and each bad one is parked by position',
  async (t) => {
    const userId = await makeUser(suite.postgres.db)
    const event = (n: number, value: unknown) => ({
      event_id: `batch-${userId}-${n}`,
      type: 'usage',
      user_id: userId,
      metric: 'encoding_cpu',
      value,
      occurred_at,
    })
    const job = await suite.meter.queue.add('batch', {
      events: [event(0, 2.5), event(1, -3), event(2, 0.5), { ...event(3, 1), user_id: 0 }],
    })
    await drained(suite.meter.queue)

    t.deepEqual(await usageOf(suite.clickhouse, userId), { 'encoding_cpu//2026-06-01': '3' })
    const done = await suite.meter.queue.getJob(job.id as string)
    t.deepEqual(done?.returnvalue, { accepted: 2, rejected: 2 })

    const parked = (await deadLetters()).filter((entry) => entry.source.job_id === job.id)
    t.deepEqual(parked.map((entry) => [entry.source.index, entry.reason]).sort(), [
      [1, 'value: must be a finite number of seconds from 0 to 1000000000000000'],
      [3, 'user_id: must be a positive integer'],
    ])
  },
)

test.serial('text ClickHouse would refuse is parked, and the meter goes on', async (t) => {
  const userId = await makeUser(suite.postgres.db)
  const upload = (n: number, external_user_id: string) => ({
    event_id: `text-${userId}-${n}`,
    type: 'usage',
    user_id: userId,
    metric: 'upload_bytes',
    value: 7,
    external_user_id,
    occurred_at,
  })
  const poison = await suite.meter.queue.add('event', upload(0, 'cust\ud800'))
  await suite.meter.queue.add('batch', { events: [upload(1, 'cust'), upload(2, 'cust\ud800')] })
  await suite.meter.queue.add('event', upload(3, 'cust'))
  await drained(suite.meter.queue)

  t.deepEqual(await usageOf(suite.clickhouse, userId), { 'upload_bytes/cust/2026-06-01': '14' })
  t.is(await poison.getState(), 'failed')
  const reason = 'external_user_id: must not contain NUL characters or unpaired surrogates'
  const parked = (await deadLetters()).filter((entry) => entry.reason === reason)
  t.is(parked.length, 2)
})

test.serial('a secret an event was refused for is not kept in its dead letter', async (t) => {
  const userId = await makeUser(suite.postgres.db)
  const job = await suite.meter.queue.add('batch', {
    events: [
      {
        event_id: `secret-${userId}`,
        type: 'activity',
        user_id: userId,
        event: 'user.signed_in',
        description: 'signed in',
        properties: { ip: '192.0.2.1', login: { password: 'hunter2', Token: 't' } },
      },
    ],
  })
  await drained(suite.meter.queue)

  const [parked] = (await deadLetters()).filter((entry) => entry.source.job_id === job.id)
  t.deepEqual((parked?.event as { properties?: unknown } | undefined)?.properties, {
    ip: '192.0.2.1',
    login: { password: '[redacted]', Token: '[redacted]' },
  })
  t.regex(parked?.reason ?? '', /^properties: must not carry secrets/)
})

test.serial('a malformed batch or an unknown job name is parked whole', async (t) => {
  const tooMany = Array.from({ length: 1_001 }, (_, n) => ({ event_id: `m-${n}` }))
  const batch = await suite.meter.queue.add('batch', { events: tooMany })
  const stray = await suite.meter.queue.add('upload', { event_id: 'stray' })
  const inherited = await suite.meter.queue.add('constructor', { event_id: 'inherited' })
  await drained(suite.meter.queue)

  const parked = await deadLetters()
  const reasonOf = (id: string | undefined) =>
    parked.find((entry) => entry.source.job_id === id)?.reason
  t.is(reasonOf(batch.id), 'events: must be an array of 1 to 1000 events')
  t.is(reasonOf(stray.id), 'job_name: must be event or batch, got "upload"')
  t.is(reasonOf(inherited.id), 'job_name: must be event or batch, got "constructor"')
  const failed = await suite.meter.queue.getFailed()
  t.true(failed.some((job) => job.id === batch.id && job.attemptsMade === 1))
  t.true(failed.some((job) => job.id === stray.id && job.attemptsMade === 1))
  t.true(failed.some((job) => job.id === inherited.id && job.attemptsMade === 1))
})
