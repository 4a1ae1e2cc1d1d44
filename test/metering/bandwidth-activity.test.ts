import test from 'ava'
import type { DeadLetter } from '../../src/metering/queues.js'
import { drained, makeUser, meterSuite } from '../fixtures/metering.js'

const suite = meterSuite(test)

const video = '01HZX3K8Q9V2W7M4N6P5R0S1T2'

async function bandwidthOf(userId: number) {
  const result = await suite.clickhouse.client.query({
    query:
      `SELECT event_id, toString(date) AS date, session_id, ` +
      `if(isIPv4String(replaceOne(toString(ip), '::ffff:', '')), ` +
      `replaceOne(toString(ip), '::ffff:', ''), toString(ip)) AS ip, toString(bytes) AS bytes ` +
      `FROM ${suite.clickhouse.database}.bandwidth WHERE user_id = {user:UInt64} ORDER BY event_id`,
    query_params: { user: userId },
    format: 'JSONEachRow',
  })
  return result.json()
}

async function activityOf(userId: number) {
  const [rows] = await suite.postgres.db.sequelize.query(
    'SELECT event_id, event, description, subject_type, subject_id, properties, created_at ' +
      'FROM activity_log WHERE user_id = $1 ORDER BY event_id',
    { bind: [userId] },
  )
  return rows
}

test.serial(
  'bandwidth events are stored one row each, exact, and a re-sent one once',
  async (t) => {
    const userId = await makeUser(suite.postgres.db)
    const base = { type: 'bandwidth', user_id: userId, video_ulid: video }
    const events = [
      { ...base, event_id: `bw-${userId}-1`, bytes: '9007199254740993', ip: '198.51.100.7' },
      { ...base, event_id: `bw-${userId}-2`, bytes: 10, ip: '2001:DB8::1', session_id: 's-1' },
    ]
    for (const event of events) {
      await suite.meter.queue.add('event', { ...event, occurred_at: '2026-03-31T23:30:00-05:00' })
    }
    // The first event again, in a job of its own, as a retrying proxy would send it.
    await suite.meter.queue.add('event', { ...events[0], occurred_at: '2026-03-31T23:30:00-05:00' })
    await drained(suite.meter.queue)

    t.deepEqual(await bandwidthOf(userId), [
      {
        event_id: `bw-${userId}-1`,
        date: '2026-04-01',
        session_id: '',
        ip: '198.51.100.7',
        bytes: '9007199254740993',
      },
      {
        event_id: `bw-${userId}-2`,
        date: '2026-04-01',
        session_id: 's-1',
        ip: '2001:db8::1',
        bytes: '10',
      },
    ])
  },
)

test.serial('activity events land in the owner’s log once per event_id', async (t) => {
  const userId = await makeUser(suite.postgres.db)
  const event = {
    event_id: `act-${userId}`,
    type: 'activity',
    user_id: userId,
    event: 'video.uploaded',
    description: 'Uploaded "Launch"',
    subject_type: 'video',
    subject_id: 42,
    properties: { size: 1024 },
    occurred_at: '2026-06-01T08:00:00+02:00',
  }
  await suite.meter.queue.add('event', event)
  await suite.meter.queue.add('batch', { events: [event] })
  await drained(suite.meter.queue)

  t.deepEqual(await activityOf(userId), [
    {
      event_id: `act-${userId}`,
      event: 'video.uploaded',
      description: 'Uploaded "Launch"',
      subject_type: 'video',
      subject_id: '42',
      properties: { size: 1024 },
      created_at: new Date('2026-06-01T06:00:00Z'),
    },
  ])
})

test.serial('one bad row never sinks its batch: the rest of every kind is stored', async (t) => {
  const userId = await makeUser(suite.postgres.db)
  const bw = { type: 'bandwidth', user_id: userId, video_ulid: video, bytes: 5 }
  const job = await suite.meter.queue.add('batch', {
    events: [
      { ...bw, event_id: `mix-${userId}-0`, ip: '192.0.2.1' },
      { ...bw, event_id: `mix-${userId}-1`, ip: '999.0.0.1' },
      {
        event_id: `mix-${userId}-2`,
        type: 'activity',
        user_id: userId,
        event: 'a.b',
        description: 'ok',
      },
      {
        event_id: `mix-${userId}-3`,
        type: 'activity',
        user_id: userId,
        event: 'a.b',
        description: '\0',
      },
    ],
  })
  await drained(suite.meter.queue)

  t.is((await bandwidthOf(userId)).length, 1)
  t.deepEqual(
    (await activityOf(userId)).map((row) => (row as { event_id: string }).event_id),
    [`mix-${userId}-2`],
  )
  const parked = (await suite.meter.deadLetters.getJobs(['waiting'], 0, 100, true))
    .map((letter) => letter.data as DeadLetter)
    .filter((letter) => letter.source.job_id === job.id)
    .map((letter) => [letter.source.index, letter.errors])
  t.deepEqual(parked, [
    [1, { ip: ['must be an IPv4 or IPv6 address'] }],
    [3, { description: ['must not contain NUL characters or unpaired surrogates'] }],
  ])
})
