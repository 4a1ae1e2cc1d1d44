import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ClickHouseError, createClient } from '@clickhouse/client'
import anyTest, { type TestFn } from 'ava'
import { pino } from 'pino'
import { type ChdbHttpServer, startChdbHttpServer } from '../../src/clickhouse/chdb-http-server.js'
import { type ClickHouse, openClickHouse } from '../../src/clickhouse/client.js'
import { migrateClickHouse } from '../../src/clickhouse/migrate.js'

const test = anyTest as TestFn<{ url: string; ch: ClickHouse; server: ChdbHttpServer }>
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
const root = fileURLToPath(new URL('../../', import.meta.url))
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-chdb-http-'))

test.before(async (t) => {
  const server = await startChdbHttpServer({ dataDir, log })
  const ch = openClickHouse({ url: server.url, dataDir, database: 'served', log })
  t.context = { url: server.url, ch, server }
  await migrateClickHouse(ch, log)
})

test.after.always(async (t) => {
  await t.context.ch?.close()
  await t.context.server?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function rows<T>(ch: ClickHouse, query: string, params?: Record<string, unknown>) {
  const result = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' })
  return result.json<T>()
}

async function failure(promise: Promise<unknown>): Promise<ClickHouseError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof ClickHouseError)) throw new Error(`expected a ClickHouseError, got ${err}`)
  return err
}

test('answers ping and a select', async (t) => {
  const { ch } = t.context
  t.deepEqual(await ch.client.ping(), { success: true })
  t.deepEqual(await rows(ch, 'SELECT 1 + 1 AS two'), [{ two: 2 }])
})

test('creates a table and inserts rows through client.insert', async (t) => {
  const { ch } = t.context
  await ch.client.command({
    query: 'CREATE TABLE served.notes (id UInt32, body String) ENGINE = MergeTree ORDER BY id',
  })
  await ch.client.insert({
    table: 'served.notes',
    values: [
      { id: 1, body: 'first' },
      { id: 2, body: "it's \\ done" },
    ],
    format: 'JSONEachRow',
  })
  await ch.client.insert({ table: 'served.notes', values: [], format: 'JSONEachRow' })

  t.deepEqual(await rows(ch, 'SELECT id, body FROM served.notes ORDER BY id'), [
    { id: 1, body: 'first' },
    { id: 2, body: "it's \\ done" },
  ])
})

test('a repeated dedup token in the statement is skipped', async (t) => {
  const { ch } = t.context
  const insert = (token: string) =>
    ch.client.command({
      query:
        `INSERT INTO served.usage SETTINGS insert_deduplication_token = '${token}' ` +
        'FORMAT JSONEachRow\n' +
        '{"user_id":41,"metric":"encoding_gpu","external_user_id":"","date":"2026-05-02",' +
        '"value":"0.25","events":1}',
    })
  await insert('token-1')
  await insert('token-1')
  await insert('token-2')

  const totals = await rows(
    ch,
    'SELECT toString(sum(value)) AS value, toString(sum(events)) AS events ' +
      'FROM served.usage WHERE user_id = {u:UInt64} AND date = {d:Date}',
    { u: 41, d: '2026-05-02' },
  )
  t.deepEqual(totals, [{ value: '0.5', events: '2' }])
})

test('binds UInt64, Date and String parameters exactly', async (t) => {
  const { ch } = t.context
  const text = `it's a \\ backslash, a "quote", a\ttab and a\nnewline \\N`
  const result = await rows(
    ch,
    'SELECT toString({u:UInt64}) AS u, toString({d:Date}) AS d, {s:String} AS s, ' +
      'length({s:String}) AS n, {missing:Nullable(String)} IS NULL AS null_bound',
    { u: '18446744073709551615', d: '2026-02-28', s: text, missing: null },
  )
  t.deepEqual(result, [
    { u: '18446744073709551615', d: '2026-02-28', s: text, n: text.length, null_bound: 1 },
  ])
})

test('binds plain array parameters and refuses escaped ones it cannot bind exactly', async (t) => {
  const { ch } = t.context
  t.deepEqual(await rows(ch, 'SELECT {a:Array(String)} AS a', { a: ['x', 'y z'] }), [
    { a: ['x', 'y z'] },
  ])

  const quoted = await failure(rows(ch, 'SELECT {a:Array(String)} AS a', { a: ["o'k"] }))
  t.is(quoted.code, '457')
  const slashed = await failure(rows(ch, 'SELECT {a:Array(String)} AS a', { a: ['a\\b'] }))
  t.is(slashed.code, '457')
})

test('a bad query raises ClickHouseError with the engine code', async (t) => {
  const { ch } = t.context
  t.is((await failure(rows(ch, 'SELECT * FROM served.no_such_table'))).code, '60')
  t.is((await failure(rows(ch, 'SELEC 1'))).code, '62')

  const unknownSetting = ch.client.query({
    query: 'SELECT 1',
    clickhouse_settings: { no_such_setting: 1 } as never,
  })
  t.is((await failure(unknownSetting)).code, '115')
})

test('a setting given for one request does not leak into the next', async (t) => {
  const { ch } = t.context
  const maxThreads = async (settings?: Record<string, number>) => {
    const result = await ch.client.query({
      query: "SELECT toString(getSetting('max_threads')) AS v",
      format: 'JSONEachRow',
      clickhouse_settings: settings,
    })
    return ((await result.json<{ v: string }>())[0] as { v: string }).v
  }
  const before = await maxThreads()
  const other = before === '7' ? 5 : 7

  t.is(await maxThreads({ max_threads: other }), String(other))
  t.is(await maxThreads(), before)

  await ch.client.command({ query: `SET max_threads = ${other}` })
  t.is(await maxThreads(), before)

  await ch.client.command({ query: 'USE served' })
  t.deepEqual(await rows(ch, 'SELECT currentDatabase() AS db'), [{ db: 'default' }])
})

test('accepts gzip request bodies', async (t) => {
  const client = createClient({ url: t.context.url, compression: { request: true } })
  t.teardown(() => client.close())

  await client.insert({
    table: 'served.usage',
    values: [
      {
        user_id: 42,
        metric: 'upload_bytes',
        external_user_id: '',
        date: '2026-05-03',
        value: '1024',
        events: 1,
      },
    ],
    format: 'JSONEachRow',
  })
  const totals = await rows(
    t.context.ch,
    'SELECT toString(sum(value)) AS v FROM served.usage WHERE user_id = 42',
  )
  t.deepEqual(totals, [{ v: '1024' }])
})

test('a second process inserts through the server while this one queries', async (t) => {
  const { ch, url } = t.context
  const clientModule = new URL('../../src/clickhouse/client.ts', import.meta.url).href
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', childInserter(clientModule)],
    { cwd: root, env: { ...process.env, CH_URL: url }, stdio: ['ignore', 'inherit', 'inherit'] },
  )
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))

  let running = true
  void exited.then(() => {
    running = false
  })
  let parentInserts = 0
  while (running || parentInserts < 20) {
    await ch.client.command({
      query:
        'INSERT INTO served.usage SETTINGS ' +
        `insert_deduplication_token = 'parent-${parentInserts}' ` +
        'FORMAT JSONEachRow\n' +
        '{"user_id":43,"metric":"encoding_cpu","external_user_id":"","date":"2026-05-04",' +
        '"value":"0.1","events":1}',
    })
    parentInserts++
    await rows(ch, 'SELECT count() FROM served.usage WHERE user_id = 43')
  }

  t.is(await exited, 0)
  const totals = await rows(
    ch,
    'SELECT toString(sum(value)) AS value, toString(sum(events)) AS events ' +
      'FROM served.usage WHERE user_id = 43',
  )
  const events = parentInserts + 50
  t.deepEqual(totals, [
    { value: (events / 10).toFixed(1).replace(/\.0$/, ''), events: String(events) },
  ])
})

function childInserter(clientModule: string): string {
  return `
    const { openClickHouse } = await import(${JSON.stringify(clientModule)})
    const { pino } = await import('pino')
    const ch = openClickHouse({
      url: process.env.CH_URL, dataDir: '/nonexistent', database: 'served',
      log: pino({ level: 'silent' }),
    })
    const row = JSON.stringify({ user_id: 43, metric: 'encoding_cpu', external_user_id: '',
      date: '2026-05-04', value: '0.1', events: 1 })
    for (let i = 0; i < 50; i++) {
      await ch.client.command({ query: "INSERT INTO served.usage SETTINGS " +
        "insert_deduplication_token = 'child-" + i + "' FORMAT JSONEachRow\\n" + row })
    }
    await ch.close()
  `
}

test('speaks raw HTTP: ping, rows after a query in the URL, error headers', async (t) => {
  const { url } = t.context
  const ping = await fetch(`${url}/ping`)
  t.is(await ping.text(), 'Ok.\n')

  const create = 'CREATE TABLE served.raw_notes (id UInt32, body String) ENGINE = Memory'
  t.is((await fetch(`${url}/`, { method: 'POST', body: create })).status, 200)

  const insertQuery = encodeURIComponent('INSERT INTO served.raw_notes FORMAT TabSeparated')
  const inserted = await fetch(`${url}/?query=${insertQuery}`, {
    method: 'POST',
    body: '9\tnine\n',
  })
  t.is(inserted.status, 200)

  const selected = await fetch(`${url}/?default_format=JSONEachRow&param_id=9`, {
    method: 'POST',
    body: 'SELECT body FROM served.raw_notes WHERE id = {id:UInt32}',
  })
  t.is(await selected.text(), '{"body":"nine"}\n')

  const failed = await fetch(`${url}/?query=${encodeURIComponent('SELECT nope')}`)
  t.is(failed.status, 500)
  t.is(failed.headers.get('x-clickhouse-exception-code'), '47')
  t.regex(await failed.text(), /^Code: 47\. DB::Exception: .*\(UNKNOWN_IDENTIFIER\)/)
})

test('refuses to bind anywhere but loopback', async (t) => {
  await t.throwsAsync(startChdbHttpServer({ dataDir, host: '0.0.0.0', log }), {
    message: /loopback only/,
  })
})
