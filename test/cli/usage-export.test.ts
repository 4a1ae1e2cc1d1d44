import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test from 'ava'
import { pino } from 'pino'
import { type ExportProgress, exportUsage } from '../../src/cli/usage-export.js'
import { type ChdbHttpServer, startChdbHttpServer } from '../../src/clickhouse/chdb-http-server.js'
import { type ClickHouse, openClickHouse } from '../../src/clickhouse/client.js'
import { migrateClickHouse } from '../../src/clickhouse/migrate.js'
import { Collected, cli, cliProcess } from '../fixtures/cli.js'

const log = pino({ level: 'silent' })

// Served over HTTP, as a ClickHouse server would be, so that commands run in
// this process and spawned ones reach the same engine.
let dataDir: string
let chdb: ChdbHttpServer
let clickhouse: ClickHouse
let env: Record<string, string>

const usageRows = [
  // Three rows on one key, summed at read time: 0.1 + 0.2 + 0.3 is exactly 0.6.
  [1, 'encoding_cpu', 'cust,7', '2026-04-01', '0.1'],
  [1, 'encoding_cpu', 'cust,7', '2026-04-01', '0.2'],
  [1, 'encoding_cpu', 'cust,7', '2026-04-01', '0.3'],
  [1, 'upload_bytes', '', '2026-04-01', '9007199254740993'],
  [2, 'upload_bytes', 'say "hi"', '2026-04-02', '1'],
  [1, 'encoding_gpu', '', '2026-04-30', '0.000001'],
  // Outside April: never exported for it.
  [2, 'encoding_cpu', '', '2026-03-31', '5'],
  [1, 'upload_bytes', '', '2026-05-01', '9'],
] as const

const header = 'user_id,metric,external_user_id,date,value,unit\n'
const april =
  header +
  '1,encoding_cpu,"cust,7",2026-04-01,0.6,seconds\n' +
  '1,upload_bytes,,2026-04-01,9007199254740993,bytes\n' +
  '2,upload_bytes,"say ""hi""",2026-04-02,1,bytes\n' +
  '1,encoding_gpu,,2026-04-30,0.000001,seconds\n'

test.before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-cli-export-'))
  chdb = await startChdbHttpServer({ dataDir, log })
  const database = `export_${randomBytes(4).toString('hex')}`
  clickhouse = openClickHouse({ url: chdb.url, dataDir, database, log })
  await migrateClickHouse(clickhouse, log)
  // One insert per row, so the sums span parts as they would in production.
  for (const [user_id, metric, external_user_id, date, value] of usageRows) {
    await clickhouse.client.insert({
      table: `${database}.usage`,
      values: [{ user_id, metric, external_user_id, date, value, events: 1 }],
      format: 'JSONEachRow',
    })
  }
  env = { CLICKHOUSE_URL: chdb.url, CLICKHOUSE_DATABASE: database, DATA_DIR: dataDir }
})

test.after.always(async () => {
  await clickhouse?.close()
  await chdb?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

test('rows stream out as CSV by day, exact, with progress by day', async (t) => {
  const output = new Collected()
  const progress: Parameters<ExportProgress>[0][] = []

  const rows = await exportUsage(
    clickhouse,
    { from: '2026-04-01', to: '2026-04-30' },
    output,
    (update) => progress.push(update),
  )

  t.is(rows, 4)
  t.is(output.text, april)
  t.deepEqual(progress, [
    { date: '2026-04-01', rows: 1 },
    { date: '2026-04-01', rows: 2 },
    { date: '2026-04-02', rows: 3 },
    { date: '2026-04-30', rows: 4 },
  ])
})

test('the real command writes CSV to stdout, and no bar when stderr is no terminal', async (t) => {
  const run = await cliProcess(
    ['usage', 'export', '--from', '2026-04-01', '--to', '2026-04-30'],
    env,
  )

  t.deepEqual(run, { code: 0, stdout: april, stderr: '' })
})

test('--user-id keeps one user; a range with no usage is the header alone', async (t) => {
  const one = await cli(
    ['usage', 'export', '--from', '2026-03-01', '--to', '2026-04-30', '--user-id', '2'],
    env,
  )
  const none = await cli(['usage', 'export', '--from', '2027-01-01', '--to', '2027-01-01'], env)

  t.deepEqual(one, {
    code: 0,
    stdout:
      `${header}2,encoding_cpu,,2026-03-31,5,seconds\n` +
      '2,upload_bytes,"say ""hi""",2026-04-02,1,bytes\n',
    stderr: '',
  })
  t.deepEqual(none, { code: 0, stdout: header, stderr: '' })
})

test('--output writes the whole file and says how many rows', async (t) => {
  const file = path.join(dataDir, 'april.csv')

  const run = await cli(
    ['usage', 'export', '--from', '2026-04-01', '--to', '2026-04-30', '--output', file],
    env,
  )

  t.deepEqual(run, { code: 0, stdout: '', stderr: `4 row(s) written to ${file}\n` })
  t.is(readFileSync(file, 'utf8'), april)
})

test('a failed export leaves no file behind, and exits 1', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-cli-out-'))
  const file = path.join(dir, 'usage.csv')
  try {
    const run = await cli(
      ['usage', 'export', '--from', '2026-04-01', '--to', '2026-04-30', '--output', file],
      { ...env, CLICKHOUSE_DATABASE: 'no_such_database' },
    )

    t.is(run.code, 1)
    t.regex(run.stderr, /^error: .*no_such_database/)
    t.deepEqual(readdirSync(dir), [])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a directory as --output is refused by name before anything is written', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-cli-out-'))
  try {
    const run = await cli(
      ['usage', 'export', '--from', '2026-04-01', '--to', '2026-04-30', '--output', dir],
      env,
    )

    t.is(run.code, 1)
    t.is(run.stderr, `error: --output ${dir}: is a directory; name a file\n`)
    t.deepEqual(readdirSync(dir), [])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('at a terminal a progress bar goes to stderr, never into the CSV', async (t) => {
  const run = await cli(
    ['usage', 'export', '--from', '2026-04-01', '--to', '2026-04-30'],
    env,
    '',
    {
      stderrIsTTY: true,
    },
  )

  t.is(run.code, 0)
  t.is(run.stdout, april)
  t.true(run.stderr.includes('usage export |'))
  t.true(run.stderr.includes('30/30 days | 4 rows'))
})

test('days follow the rules of the usage API and are named by option', async (t) => {
  const cases: [string[], string][] = [
    [
      ['--from', '2026-02-30', '--to', '2026-03-01'],
      '--from: must be a real date written YYYY-MM-DD',
    ],
    [['--from', '2026-04-02', '--to', '2026-04-01'], '--from: must not be after to'],
    [['--from', '2025-01-01', '--to', '2026-04-01'], '--from: must be at most 400 days before to'],
    [['--from', '2026-04-01', '--to', '2026-4-2'], '--to: must be a real date written YYYY-MM-DD'],
  ]
  for (const [args, message] of cases) {
    const run = await cli(['usage', 'export', ...args], env)
    t.deepEqual(run, { code: 2, stdout: '', stderr: `error: ${message}\n` }, args.join(' '))
  }

  const badUser = await cli(
    ['usage', 'export', '--from', '2026-04-01', '--to', '2026-04-01', '--user-id', '-3'],
    env,
  )
  const noTo = await cli(['usage', 'export', '--from', '2026-04-01'], env)
  t.is(badUser.code, 2)
  t.regex(badUser.stderr, /^error: option '--user-id <id>' argument '-3' is invalid/)
  t.is(noTo.code, 2)
  t.regex(noTo.stderr, /^error: required option '--to <day>' not specified/)
})
