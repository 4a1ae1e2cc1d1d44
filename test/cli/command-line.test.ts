import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test from 'ava'
import { pino } from 'pino'
import { verifyPassword } from '../../src/accounts/passwords.js'
import { findUserByEmail } from '../../src/accounts/users.js'
import { type ChdbHttpServer, startChdbHttpServer } from '../../src/clickhouse/chdb-http-server.js'
import { embeddedUrlsFile } from '../../src/embedded/urls-file.js'
import { cli, cliProcess } from '../fixtures/cli.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'
import { connectRedis, dropPrefix, REDIS_URL, uniquePrefix } from '../fixtures/redis.js'

const log = pino({ level: 'silent' })

let dataDir: string
let chdb: ChdbHttpServer
/** Never migrated before the migrate test runs. */
let postgres: FreshDatabase
let env: Record<string, string>

test.before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-cli-'))
  chdb = await startChdbHttpServer({ dataDir, log })
  postgres = await freshDatabase({ migrate: false })
  env = {
    DATABASE_URL: postgres.url,
    CLICKHOUSE_URL: chdb.url,
    CLICKHOUSE_DATABASE: `cli_${randomBytes(4).toString('hex')}`,
    REDIS_URL,
    QUEUE_PREFIX: uniquePrefix('cli'),
    DATA_DIR: dataDir,
  }
})

test.after.always(async () => {
  const redis = connectRedis()
  await dropPrefix(redis, env.QUEUE_PREFIX ?? '')
  redis.disconnect()
  await postgres?.close()
  await chdb?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const commands = [
  ['create-admin'],
  ['tokens'],
  ['tokens', 'create'],
  ['tokens', 'list'],
  ['tokens', 'revoke'],
  ['migrate'],
  ['dead-letters'],
  ['dead-letters', 'list'],
  ['dead-letters', 'replay'],
  ['usage'],
  ['usage', 'export'],
]

test('--help works on every command, whatever the environment holds', async (t) => {
  for (const command of commands) {
    const run = await cli([...command, '--help'], { PORT: 'not a port' })
    t.is(run.code, 0, command.join(' '))
    t.true(run.stdout.startsWith(`Usage: nukevideo-metering ${command.join(' ')} `))
    t.is(run.stderr, '')
  }
})

test('the real binary prints its help and exits 0', async (t) => {
  const run = await cliProcess(['--help'], {})

  t.is(run.code, 0)
  t.true(run.stdout.startsWith('Usage: nukevideo-metering [options] [command]\n'))
  for (const name of ['create-admin', 'tokens', 'migrate', 'dead-letters', 'usage']) {
    t.regex(run.stdout, new RegExp(`\\n  ${name} `))
  }
})

test('the real binary exits 2 on a bad variable or argument, naming it', async (t) => {
  const badEnv = await cliProcess(['dead-letters', 'list'], { ...env, REDIS_URL: 'ftp://x' })
  const badArgument = await cli(['dead-letters', 'list', '--limit', 'ten'], env)
  const unknown = await cli(['vacuum'], env)
  const noCommand = await cli([], env)

  t.deepEqual(badEnv, {
    code: 2,
    stdout: '',
    stderr: 'error: Invalid configuration: REDIS_URL: must use one of redis:, rediss:\n',
  })
  t.is(badArgument.code, 2)
  t.true(badArgument.stderr.startsWith("error: option '--limit <n>' argument 'ten' is invalid."))
  t.is(unknown.code, 2)
  t.true(unknown.stderr.startsWith("error: unknown command 'vacuum'"))
  t.is(noCommand.code, 2)
  t.true(noCommand.stderr.startsWith('Usage: nukevideo-metering'))
})

test.serial('migrate applies both stores once, then finds them up to date', async (t) => {
  const first = await cliProcess(['migrate'], env)
  const second = await cli(['migrate'], env)

  t.deepEqual(first, {
    code: 0,
    stdout:
      'PostgreSQL: applied 0001-create-users, 0002-create-api-tokens, ' +
      '0003-create-activity-log, 0004-account-change-notices\n' +
      'ClickHouse: applied 0001_usage, 0002_bandwidth\n',
    stderr: '',
  })
  t.deepEqual(second, {
    code: 0,
    stdout: 'PostgreSQL: up to date\nClickHouse: up to date\n',
    stderr: '',
  })
})

test.serial('the real binary reads a piped password, then issues a token', async (t) => {
  const created = await cliProcess(
    ['create-admin', '--email', 'root@example.com', '--name', 'Root', '--password-stdin'],
    env,
    'piped in, not typed\r\n',
  )
  const token = await cliProcess(['tokens', 'create', '--email', 'root@example.com'], env)

  const admin = await findUserByEmail(postgres.db, 'root@example.com')
  t.deepEqual(created, {
    code: 0,
    stdout: `Created admin ${admin?.id} <root@example.com>\n`,
    stderr: '',
  })
  t.true(await verifyPassword(admin?.password_hash ?? '', 'piped in, not typed'))
  t.is(token.code, 0)
  t.regex(token.stdout, /^\d+\|[A-Za-z0-9_-]{43}\n$/)
})

test.serial(
  'without DATABASE_URL the stores a running dev command announced are used',
  async (t) => {
    const devDataDir = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-cli-dev-'))
    try {
      const announced = { databaseUrl: postgres.url, clickhouseUrl: chdb.url }
      writeFileSync(embeddedUrlsFile(devDataDir), JSON.stringify(announced))
      const devEnv = { DATA_DIR: devDataDir, CLICKHOUSE_DATABASE: env.CLICKHOUSE_DATABASE ?? '' }

      const run = await cli(['migrate'], devEnv)

      t.deepEqual(run, {
        code: 0,
        stdout: 'PostgreSQL: up to date\nClickHouse: up to date\n',
        stderr: '',
      })
    } finally {
      rmSync(devDataDir, { recursive: true, force: true })
    }
  },
)

test('the real binary exits 1 when a store does not answer, naming it', async (t) => {
  const run = await cliProcess(['dead-letters', 'list'], {
    ...env,
    REDIS_URL: 'redis://127.0.0.1:9',
  })

  t.deepEqual(run, {
    code: 1,
    stdout: '',
    stderr:
      'error: Redis at redis://127.0.0.1:9 is unreachable: connect ECONNREFUSED 127.0.0.1:9\n',
  })
})

test('dead-letters list on an empty queue shows none', async (t) => {
  const run = await cli(['dead-letters', 'list'], env)

  t.deepEqual(run, { code: 0, stdout: '', stderr: '0 of 0 dead letter(s) shown.\n' })
})
