import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test from 'ava'
import { pino } from 'pino'
import { startChdbHttpServer } from '../../src/clickhouse/chdb-http-server.js'
import { type ClickHouse, openClickHouse } from '../../src/clickhouse/client.js'

const log = pino({ level: 'silent' })

/** Fails after the engine has already produced some hundred thousand rows. */
const failsMidway = "SELECT throwIf(number = 300000, 'boom') AS x FROM numbers(1000000)"

async function rowsOf(ch: ClickHouse, query: string): Promise<unknown[]> {
  const result = await ch.client.query({ query, format: 'JSONEachRow' })
  return result.json()
}

async function afterAFailure(t: import('ava').ExecutionContext, ch: ClickHouse) {
  await t.throwsAsync(rowsOf(ch, failsMidway), { message: /boom/ })
  t.deepEqual(await rowsOf(ch, 'SELECT 2 AS y'), [{ y: 2 }])

  // Side by side: the failing query and an innocent one started together.
  const [failed, innocent] = await Promise.allSettled([
    rowsOf(ch, failsMidway),
    rowsOf(ch, 'SELECT 3 AS z'),
  ])
  t.is(failed.status, 'rejected')
  t.deepEqual(innocent, { status: 'fulfilled', value: [{ z: 3 }] })
}

test.serial('in-process: a query after a failed one sees only its own rows', async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-leftovers-'))
  const ch = openClickHouse({ dataDir, database: 'default', log })
  t.teardown(async () => {
    await ch.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  await afterAFailure(t, ch)
})

test.serial('served over HTTP: a query after a failed one sees only its own rows', async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-leftovers-http-'))
  const server = await startChdbHttpServer({ dataDir, log })
  const ch = openClickHouse({ url: server.url, dataDir, database: 'default', log })
  t.teardown(async () => {
    await ch.close()
    await server.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  await afterAFailure(t, ch)
})
