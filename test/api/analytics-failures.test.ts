import { type ClickHouseClient, ClickHouseError } from '@clickhouse/client'
import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { insertTraffic, insertUsage } from '../fixtures/analytics.js'
import { startApi, userWithToken } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

/** How the chosen query of a request goes wrong. */
type Failure =
  /** The query starts, then its rows end in an error (what a 200 mid-stream error becomes). */
  | 'stream'
  /** The query is refused outright with a non-retryable error. */
  | 'refused'
  /** The engine really fails while running it. */
  | 'engine'
  /** The engine is overloaded: worth a retry by the caller. */
  | 'overloaded'
  /** Rows of some other query arrive in its place. */
  | 'foreign rows'

/** Every analytics read runs this many queries. */
const QUERIES_PER_REPORT = 6

let postgres: FreshDatabase
let clickhouse: ClickHouse
let token: string

test.before(async () => {
  postgres = await freshDatabase()
  clickhouse = await freshClickHouse()
  token = (await userWithToken(postgres.db, 'admin', true)).token

  await insertTraffic(clickhouse, [
    { user: 1, date: '2028-05-01', video: 'v1', bytes: '10', ip: '10.0.0.1', session: 's' },
  ])
  await insertUsage(clickhouse, [
    { user: 1, date: '2028-05-01', metric: 'upload_bytes', value: '5', external: 'cust' },
  ])
})

test.after.always(async () => {
  await clickhouse?.close()
  await postgres?.close()
})

/** Carries the database name and SQL, which must never reach the caller. */
function leakyError(code: string, type: string): ClickHouseError {
  const table = `${clickhouse.database}.bandwidth`
  const message = `Code: ${code}. DB::Exception: in SELECT sum(bytes) FROM ${table} (${type})`
  return new ClickHouseError({ message, code, type })
}

/** The store, with the `victim`-th query of each request (counting from 0) failing as told. */
function failing(victim: number, failure: Failure): ClickHouse {
  let calls = 0
  const query: ClickHouseClient['query'] = async (params) => {
    const call = calls++ % QUERIES_PER_REPORT
    if (call !== victim) return clickhouse.client.query(params)

    if (failure === 'refused') throw leakyError('62', 'SYNTAX_ERROR')
    if (failure === 'overloaded') throw leakyError('202', 'TOO_MANY_SIMULTANEOUS_QUERIES')
    if (failure === 'engine') {
      const raise = `throwIf(number = 5, 'boom in ${clickhouse.database}.usage')`
      const sql = `SELECT count() FROM numbers(10) WHERE ${raise} = 0`
      return clickhouse.client.query({ ...params, query: sql })
    }

    const result = await clickhouse.client.query(params)
    // Rows arrive, then the error: the body is read to its end before it surfaces.
    const streamed = async () => {
      await result.text()
      throw leakyError('395', 'FUNCTION_THROW_IF_VALUE_IS_NON_ZERO')
    }
    const json = failure === 'stream' ? streamed : async () => [{ version: '26.7' }]
    return Object.defineProperty(result, 'json', { value: json })
  }

  const client = new Proxy(clickhouse.client, {
    get: (target, key, receiver) => (key === 'query' ? query : Reflect.get(target, key, receiver)),
  })
  return { ...clickhouse, client }
}

async function report(store: ClickHouse) {
  const api = await startApi(postgres.db, store)
  try {
    const response = await fetch(`${api.url}/api/analytics?from=2028-05-01&to=2028-05-02`, {
      headers: { authorization: `Bearer ${token}` },
    })
    return { status: response.status, text: await response.text() }
  } finally {
    await api.close()
  }
}

test('the untouched store answers 200, so the failures below are the injected ones', async (t) => {
  const { status, text } = await report(failing(-1, 'refused'))
  t.is(status, 200)
  t.like(JSON.parse(text).data.totals, { bandwidth_bytes: '10', upload_bytes: '5' })
})

for (const failure of ['stream', 'refused', 'engine', 'foreign rows'] as const) {
  test(`any one query failing (${failure}) is a bare 500, never partial figures`, async (t) => {
    for (let victim = 0; victim < QUERIES_PER_REPORT; victim++) {
      const { status, text } = await report(failing(victim, failure))

      t.is(status, 500, `query ${victim}`)
      t.deepEqual(JSON.parse(text), { message: 'Server Error' }, `query ${victim}`)
      for (const secret of [clickhouse.database, 'SELECT', 'bandwidth', 'usage', 'boom']) {
        t.false(text.includes(secret), `query ${victim} leaks ${secret}`)
      }
    }
  })
}

test('an overloaded store is 503, worth a retry, without the store error in it', async (t) => {
  for (let victim = 0; victim < QUERIES_PER_REPORT; victim++) {
    const { status, text } = await report(failing(victim, 'overloaded'))

    t.is(status, 503, `query ${victim}`)
    t.deepEqual(JSON.parse(text), { message: 'Analytics store unavailable' }, `query ${victim}`)
  }
})
