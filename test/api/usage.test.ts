import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { type UsageRow, usageColumns } from '../../src/metering/usage-rows.js'
import { insertBatch } from '../../workers/metering/clickhouse-sink.js'
import { type ApiRig, getJson, startApi, userWithToken } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

let postgres: FreshDatabase
let clickhouse: ClickHouse
let api: ApiRig
let owner: { user: { id: number }; token: string }
let stranger: { user: { id: number }; token: string }

const row = (
  userId: number,
  metric: UsageRow['metric'],
  date: string,
  value: string,
  external = '',
): UsageRow => ({
  user_id: userId,
  metric,
  external_user_id: external,
  date,
  value,
  events: 1,
})

const usageTable = { table: 'usage', columns: usageColumns }

test.before(async () => {
  postgres = await freshDatabase()
  clickhouse = await freshClickHouse()
  api = await startApi(postgres.db, clickhouse)
  owner = await userWithToken(postgres.db, 'owner')
  stranger = await userWithToken(postgres.db, 'stranger')

  const id = owner.user.id
  await insertBatch(clickhouse, usageTable, 'a'.repeat(32), [
    row(id, 'upload_bytes', '2028-02-28', '100'),
    row(id, 'upload_bytes', '2028-02-29', '9007199254740993'),
    row(id, 'encoding_cpu', '2028-02-29', '0.6', 'cust-1'),
    row(id, 'encoding_gpu', '2028-03-01', '12.000001', 'cust-2'),
  ])
  await insertBatch(clickhouse, usageTable, 'b'.repeat(32), [
    row(id, 'upload_bytes', '2028-02-29', '7'),
    row(stranger.user.id, 'upload_bytes', '2028-02-29', '1'),
  ])
})

test.after.always(async () => {
  await api?.close()
  await clickhouse?.close()
  await postgres?.close()
})

const usage = (query: string, token = owner.token) =>
  getJson(`${api.url}/api/usage?${query}`, token)

test('a row per metric, external user and day, by date, exact decimal strings', async (t) => {
  const { status, body } = await usage('from=2028-02-01&to=2028-03-31')
  t.is(status, 200)
  t.deepEqual(body, {
    data: [
      {
        metric: 'upload_bytes',
        external_user_id: '',
        date: '2028-02-28',
        value: '100',
        unit: 'bytes',
        events: 1,
      },
      {
        metric: 'encoding_cpu',
        external_user_id: 'cust-1',
        date: '2028-02-29',
        value: '0.6',
        unit: 'seconds',
        events: 1,
      },
      {
        metric: 'upload_bytes',
        external_user_id: '',
        date: '2028-02-29',
        value: '9007199254741000',
        unit: 'bytes',
        events: 2,
      },
      {
        metric: 'encoding_gpu',
        external_user_id: 'cust-2',
        date: '2028-03-01',
        value: '12.000001',
        unit: 'seconds',
        events: 1,
      },
    ],
  })
})

test('from = to gives exactly that day, a leap day included', async (t) => {
  const { body } = await usage('from=2028-02-29&to=2028-02-29&metric=upload_bytes')
  t.deepEqual(body, {
    data: [
      {
        metric: 'upload_bytes',
        external_user_id: '',
        date: '2028-02-29',
        value: '9007199254741000',
        unit: 'bytes',
        events: 2,
      },
    ],
  })
})

test('filters by external user', async (t) => {
  const { body } = await usage('from=2028-01-01&to=2028-12-31&external_user_id=cust-2')
  t.deepEqual(
    (body as { data: { value: string }[] }).data.map((entry) => entry.value),
    ['12.000001'],
  )
})

test('a caller sees only their own usage; no token is 401', async (t) => {
  const { body } = await usage('from=2028-02-29&to=2028-02-29', stranger.token)
  t.deepEqual(
    (body as { data: { value: string }[] }).data.map((entry) => entry.value),
    ['1'],
  )

  const anonymous = await getJson(`${api.url}/api/usage?from=2028-02-29&to=2028-02-29`)
  t.is(anonymous.status, 401)
  t.deepEqual(anonymous.body, { message: 'Unauthenticated.' })
})

test('bad parameters are 422 and name the field', async (t) => {
  const realDate = 'must be a real date written YYYY-MM-DD'
  const cases: [string, Record<string, string[]>][] = [
    ['from=2026-02-30&to=2026-03-01', { from: [realDate] }],
    ['from=2027-02-29&to=2027-03-01', { from: [realDate] }],
    ['from=2026-03-02&to=2026-03-01', { from: ['must not be after to'] }],
    ['from=2026-3-1&to=2026-03-01', { from: [realDate] }],
    ['from=2026-03-01T00:00:00Z&to=2026-03-01', { from: [realDate] }],
    ['to=2026-03-01', { from: ['is required'] }],
    [
      'from=2200-01-01&to=2200-01-02',
      {
        from: ['must be from 1970-01-01 to 2149-06-06'],
        to: ['must be from 1970-01-01 to 2149-06-06'],
      },
    ],
    [
      'from=2026-03-01&to=2026-03-01&metric=frames',
      {
        metric: ['must be one of upload_bytes, encoding_cpu, encoding_gpu'],
      },
    ],
    [
      'from=2026-03-01&to=2026-03-01&metric=upload_bytes&metric=encoding_cpu',
      {
        metric: ['must be given only once'],
      },
    ],
    ['from=2025-01-01&to=2026-02-05', { from: ['must be at most 400 days before to'] }],
    ['from=2026-03-01&to=2026-03-01&user_id=2', { user_id: ['is not a known field'] }],
  ]
  for (const [query, errors] of cases) {
    const { status, body } = await usage(query)
    t.is(status, 422, query)
    t.deepEqual(body, { message: 'The given data was invalid.', errors }, query)
  }
})

test('400 days is the longest range', async (t) => {
  const { status } = await usage('from=2025-01-01&to=2026-02-04')
  t.is(status, 200)
})
