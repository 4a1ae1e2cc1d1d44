import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { type ApiRig, startApi } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

let postgres: FreshDatabase
let clickhouse: ClickHouse
let api: ApiRig

test.before(async () => {
  postgres = await freshDatabase()
  clickhouse = await freshClickHouse()
  api = await startApi(postgres.db, clickhouse)
})

test.after.always(async () => {
  await api?.close()
  await clickhouse?.close()
  await postgres?.close()
})

test('readiness answers 200 with every store checked when all answer', async (t) => {
  const response = await fetch(`${api.url}/readyz`)

  t.is(response.status, 200)
  t.deepEqual(await response.json(), {
    status: 'ready',
    checks: { postgres: 'ok', redis: 'ok', clickhouse: 'ok' },
  })
})
