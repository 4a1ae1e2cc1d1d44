import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { emptyDay, insertTraffic, insertUsage, type Traffic } from '../fixtures/analytics.js'
import { type ApiRig, getJson, startApi, userWithToken } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

let postgres: FreshDatabase
let clickhouse: ClickHouse
let api: ApiRig
let admin: { user: { id: number }; token: string }
let alice: number
let bob: number

test.before(async () => {
  postgres = await freshDatabase()
  clickhouse = await freshClickHouse()
  api = await startApi(postgres.db, clickhouse)
  admin = await userWithToken(postgres.db, 'admin', true)
  alice = (await userWithToken(postgres.db, 'alice')).user.id
  bob = (await userWithToken(postgres.db, 'bob')).user.id

  // Alice's session s1 spans two days, from one IPv4 address written two ways;
  // 2001:db8::1 is written two ways too. Rows on 02-26 and 03-03 are outside the range.
  await insertTraffic(clickhouse, [
    hit(alice, '02-26', 'v1', '4000', '10.9.9.9', 'sx'),
    hit(alice, '02-28', 'v1', '100', '10.0.0.1', 's1', 'cust-1'),
    hit(alice, '02-29', 'v1', '200', '::ffff:10.0.0.1', 's1', 'cust-1'),
    hit(alice, '02-29', 'v2', '50', '2001:db8::1', '', 'cust-2'),
  ])
  await insertTraffic(clickhouse, [
    hit(alice, '03-01', 'v2', '25', '2001:0db8:0:0::1', 's2'),
    hit(alice, '03-01', 'v3', '25', '192.168.1.7', 's3', 'cust-2'),
    hit(bob, '02-29', 'v9', '1000', '10.0.0.1', 's9', 'cust-1'),
    hit(alice, '03-03', 'v1', '4000', '10.9.9.9', 'sy'),
  ])
  // Two inserts of 0.1 and 0.2 s on one day land in separate parts: only sum() adds them.
  await insertUsage(clickhouse, [
    { user: alice, date: '2028-02-28', metric: 'upload_bytes', value: '1000', external: 'cust-1' },
    { user: alice, date: '2028-02-28', metric: 'upload_bytes', value: '900', external: 'cust-4' },
    { user: alice, date: '2028-02-29', metric: 'encoding_cpu', value: '0.1', external: 'cust-1' },
    { user: alice, date: '2028-03-03', metric: 'upload_bytes', value: '5555' },
  ])
  await insertUsage(clickhouse, [
    { user: alice, date: '2028-02-29', metric: 'encoding_cpu', value: '0.2', external: 'cust-1' },
    { user: alice, date: '2028-03-01', metric: 'encoding_cpu', value: '0.3', external: 'cust-2' },
    { user: alice, date: '2028-03-01', metric: 'encoding_gpu', value: '12.000001' },
    { user: alice, date: '2028-03-01', metric: 'upload_bytes', value: '500', external: 'cust-3' },
    { user: bob, date: '2028-02-29', metric: 'upload_bytes', value: '7', external: 'cust-1' },
  ])
})

test.after.always(async () => {
  await api?.close()
  await clickhouse?.close()
  await postgres?.close()
})

/** One bandwidth row of 2028, written short. */
function hit(
  user: number,
  day: string,
  video: string,
  bytes: string,
  ip: string,
  session = '',
  external = '',
): Traffic {
  return { user, date: `2028-${day}`, video, bytes, ip, session, external }
}

const analytics = (query: string, token = admin.token) =>
  getJson(`${api.url}/api/analytics?${query}`, token)

const range = 'from=2028-02-27&to=2028-03-02'

test('all users: exact totals, counts distinct over the range, every day', async (t) => {
  const { status, body } = await analytics(range)

  t.is(status, 200)
  t.deepEqual(body, {
    data: {
      from: '2028-02-27',
      to: '2028-03-02',
      user_id: null,
      totals: {
        bandwidth_bytes: '1400',
        sessions: 4,
        unique_ips: 3,
        active_videos: 4,
        upload_bytes: '2407',
        encoding_cpu_seconds: '0.6',
        encoding_gpu_seconds: '12.000001',
      },
      daily: [
        emptyDay('2028-02-27'),
        {
          ...emptyDay('2028-02-28'),
          bandwidth_bytes: '100',
          sessions: 1,
          unique_ips: 1,
          active_videos: 1,
          upload_bytes: '1900',
        },
        {
          ...emptyDay('2028-02-29'),
          bandwidth_bytes: '1250',
          sessions: 2,
          unique_ips: 2,
          active_videos: 3,
          upload_bytes: '7',
          encoding_cpu_seconds: '0.3',
        },
        {
          date: '2028-03-01',
          bandwidth_bytes: '50',
          sessions: 2,
          unique_ips: 2,
          active_videos: 2,
          upload_bytes: '500',
          encoding_cpu_seconds: '0.3',
          encoding_gpu_seconds: '12.000001',
        },
        emptyDay('2028-03-02'),
      ],
      top_videos: [
        { video_ulid: 'v9', bandwidth_bytes: '1000', sessions: 1 },
        { video_ulid: 'v1', bandwidth_bytes: '300', sessions: 1 },
        { video_ulid: 'v2', bandwidth_bytes: '75', sessions: 1 },
        { video_ulid: 'v3', bandwidth_bytes: '25', sessions: 1 },
      ],
      top_external_users: [
        external('cust-1', '1300', '1007', '0.3'),
        external('cust-2', '75', '0', '0.3'),
        external('cust-4', '0', '900', '0'),
        external('cust-3', '0', '500', '0'),
      ],
    },
  })
})

function external(id: string, bandwidth: string, upload: string, cpu: string, gpu = '0') {
  return {
    external_user_id: id,
    bandwidth_bytes: bandwidth,
    upload_bytes: upload,
    encoding_cpu_seconds: cpu,
    encoding_gpu_seconds: gpu,
  }
}

test('user_id limits every figure to that user', async (t) => {
  const { status, body } = await analytics(`${range}&user_id=${alice}`)

  t.is(status, 200)
  const data = (body as { data: Record<string, unknown> }).data
  t.is(data.user_id, alice)
  t.deepEqual(data.totals, {
    bandwidth_bytes: '400',
    sessions: 3,
    unique_ips: 3,
    active_videos: 3,
    upload_bytes: '2400',
    encoding_cpu_seconds: '0.6',
    encoding_gpu_seconds: '12.000001',
  })
  t.deepEqual(
    (data.daily as { date: string; bandwidth_bytes: string; sessions: number }[]).map((day) => [
      day.date,
      day.bandwidth_bytes,
      day.sessions,
    ]),
    [
      ['2028-02-27', '0', 0],
      ['2028-02-28', '100', 1],
      ['2028-02-29', '250', 1],
      ['2028-03-01', '50', 2],
      ['2028-03-02', '0', 0],
    ],
  )
  t.deepEqual(data.top_videos, [
    { video_ulid: 'v1', bandwidth_bytes: '300', sessions: 1 },
    { video_ulid: 'v2', bandwidth_bytes: '75', sessions: 1 },
    { video_ulid: 'v3', bandwidth_bytes: '25', sessions: 1 },
  ])
  t.deepEqual(data.top_external_users, [
    external('cust-1', '300', '1000', '0.3'),
    external('cust-2', '75', '0', '0.3'),
    external('cust-4', '0', '900', '0'),
    external('cust-3', '0', '500', '0'),
  ])

  const other = await analytics(`${range}&user_id=${bob}`)
  const bobs = (other.body as { data: { totals: unknown; top_external_users: unknown } }).data
  t.deepEqual(bobs.totals, {
    bandwidth_bytes: '1000',
    sessions: 1,
    unique_ips: 1,
    active_videos: 1,
    upload_bytes: '7',
    encoding_cpu_seconds: '0',
    encoding_gpu_seconds: '0',
  })
  t.deepEqual(bobs.top_external_users, [external('cust-1', '1000', '7', '0')])
})

test('a range without data has every day, zeros and empty top lists', async (t) => {
  for (const [query, days] of [
    ['from=2029-12-30&to=2030-01-02', ['2029-12-30', '2029-12-31', '2030-01-01', '2030-01-02']],
    [`from=2028-03-02&to=2028-03-02&user_id=${alice}`, ['2028-03-02']],
    [
      `${range}&user_id=987654321`,
      ['2028-02-27', '2028-02-28', '2028-02-29', '2028-03-01', '2028-03-02'],
    ],
  ] as const) {
    const { status, body } = await analytics(query)
    t.is(status, 200, query)
    const data = (body as { data: Record<string, unknown> }).data
    const { date: _, ...zeros } = emptyDay('')
    t.deepEqual(data.totals, zeros)
    t.deepEqual(data.daily, days.map(emptyDay), query)
    t.deepEqual(data.top_videos, [])
    t.deepEqual(data.top_external_users, [])
  }
})

test('byte totals beyond 2^53 and 2^64 stay exact strings', async (t) => {
  const carol = (await userWithToken(postgres.db, 'carol')).user.id
  const max = '18446744073709551615'
  await insertTraffic(clickhouse, [
    { user: carol, date: '2031-05-01', video: 'big', bytes: '9007199254740993', ip: '10.1.1.1' },
    { user: carol, date: '2031-05-01', video: 'big', bytes: '7', ip: '10.1.1.1' },
    { user: carol, date: '2031-05-02', video: 'big', bytes: max, ip: '10.1.1.1' },
    { user: carol, date: '2031-05-02', video: 'big', bytes: max, ip: '10.1.1.1' },
  ])
  await insertUsage(clickhouse, [
    { user: carol, date: '2031-05-01', metric: 'upload_bytes', value: '9007199254740993' },
    { user: carol, date: '2031-05-01', metric: 'upload_bytes', value: '7' },
  ])

  const { body } = await analytics(`from=2031-05-01&to=2031-05-02&user_id=${carol}`)
  const data = (body as { data: Record<string, { bandwidth_bytes: string }[]> }).data
  t.like(data.totals, { bandwidth_bytes: '36902495346673844230', upload_bytes: '9007199254741000' })
  t.deepEqual(
    data.daily?.map((day) => day.bandwidth_bytes),
    ['9007199254741000', '36893488147419103230'],
  )
  t.deepEqual(data.top_videos?.[0], {
    video_ulid: 'big',
    bandwidth_bytes: '36902495346673844230',
    sessions: 0,
  })
})
