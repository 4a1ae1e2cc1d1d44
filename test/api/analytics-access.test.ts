import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { type ApiRig, getJson, startApi, userWithToken } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

/** Who may read analytics and which parameters it takes; the figures have their own file. */

let postgres: FreshDatabase
let clickhouse: ClickHouse
let api: ApiRig
let admin: { user: { id: number }; token: string }
let viewer: { user: { id: number }; token: string }

test.before(async () => {
  postgres = await freshDatabase()
  clickhouse = await freshClickHouse()
  api = await startApi(postgres.db, clickhouse)
  admin = await userWithToken(postgres.db, 'admin', true)
  viewer = await userWithToken(postgres.db, 'viewer')
})

test.after.always(async () => {
  await api?.close()
  await clickhouse?.close()
  await postgres?.close()
})

const analytics = (query: string, token = admin.token) =>
  getJson(`${api.url}/api/analytics?${query}`, token)

const range = 'from=2028-02-27&to=2028-03-02'

test('only admins: 401 without a token or with a bad one, 403 for a user', async (t) => {
  const anonymous = await getJson(`${api.url}/api/analytics?${range}`)
  t.is(anonymous.status, 401)
  t.deepEqual(anonymous.body, { message: 'Unauthenticated.' })

  const forged = await analytics(range, 'not-a-token')
  t.is(forged.status, 401)

  const user = await analytics(range, viewer.token)
  t.is(user.status, 403)
  t.deepEqual(user.body, { message: 'This action is unauthorized.' })

  // The admin check is the analytics route's own: usage stays open to everyone.
  const usage = await getJson(`${api.url}/api/usage?${range}`, viewer.token)
  t.is(usage.status, 200)
})

test('bad parameters are 422 and name every field at fault', async (t) => {
  const realDate = 'must be a real date written YYYY-MM-DD'
  const positive = 'must be a positive integer'
  const missing = 'is required'
  const cases: [string, Record<string, string[]>][] = [
    ['from=2026-02-30&to=2026-03-01', { from: [realDate] }],
    ['from=2026-03-01&to=2027-02-29', { to: [realDate] }],
    ['from=2026-3-1&to=2026-03-01', { from: [realDate] }],
    ['from=2026-03-02&to=2026-03-01', { from: ['must not be after to'] }],
    ['from=2025-01-01&to=2026-02-05', { from: ['must be at most 400 days before to'] }],
    ['', { from: [missing], to: [missing] }],
    ['from=2026-03-01&from=2026-03-01&to=2026-03-01', { from: ['must be given only once'] }],
    ['from=2026-03-01&to=2026-03-01&user_id=1&user_id=2', { user_id: ['must be given only once'] }],
    ['from=2026-03-01&to=2026-03-01&metric=upload_bytes', { metric: ['is not a known field'] }],
    ['from=2026-02-30&to=2026-03-01&user_id=x', { from: [realDate], user_id: [positive] }],
  ]
  for (const userId of ['0', '-1', '1.5', '01', '1e3', '+7', ' 7', '', '9007199254740993']) {
    cases.push([
      `from=2026-03-01&to=2026-03-01&user_id=${encodeURIComponent(userId)}`,
      {
        user_id: [positive],
      },
    ])
  }

  for (const [query, errors] of cases) {
    const { status, body } = await analytics(query)
    t.is(status, 422, query)
    t.deepEqual(body, { message: 'The given data was invalid.', errors }, query)
  }
})

test('400 days is the longest range, and every one of its days is listed', async (t) => {
  const { status, body } = await analytics('from=2025-01-01&to=2026-02-04')
  t.is(status, 200)
  const daily = (body as { data: { daily: { date: string }[] } }).data.daily
  t.is(daily.length, 400)
  t.is(daily[0]?.date, '2025-01-01')
  t.is(daily[399]?.date, '2026-02-04')
})
