import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import test from 'ava'
import pg from 'pg'
import { pino } from 'pino'
import { DataDirInUseError } from '../../src/postgres/data-lock.js'
import { openDatabase } from '../../src/postgres/database.js'
import { migratePostgres } from '../../src/postgres/migrate.js'
import { startPgliteServer } from '../../src/postgres/pglite-server.js'

const log = pino({ level: 'silent' })

test('a pool of several connections runs concurrent queries and transactions', async (t) => {
  const server = await startPgliteServer({ log })
  const db = await openDatabase(server.url, log, { poolMax: 5 })
  t.teardown(async () => {
    await db.close()
    await server.close()
  })
  t.regex(server.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/)
  await migratePostgres(db, log)

  const users = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      db.User.create({
        ulid: String(i).padStart(26, '0'),
        name: `user ${i}`,
        email: `user${i}@example.com`,
        password_hash: 'unused',
      }),
    ),
  )
  const outcomes = await Promise.allSettled(
    users.slice(0, 10).map((user, i) =>
      db.sequelize.transaction(async (transaction) => {
        await user.update({ name: `renamed ${i}` }, { transaction })
        await new Promise((resolve) => setTimeout(resolve, 5))
        if (i % 2 === 1) throw new Error('roll back')
      }),
    ),
  )

  t.deepEqual(
    outcomes.map((outcome) => outcome.status),
    Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'fulfilled' : 'rejected')),
  )
  const names = await Promise.all(users.slice(0, 10).map((user) => db.User.findByPk(user.id)))
  t.deepEqual(
    names.map((user) => user?.name),
    Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? `renamed ${i}` : `user ${i}`)),
  )
  t.is(await db.User.count(), 20)
})

test('with a data directory the data survives a restart', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pglite-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))

  const first = await startPgliteServer({ dataDir, log })
  const firstDb = await openDatabase(first.url, log)
  const migrations = await readdir(new URL('../../migrations/postgres/', import.meta.url))
  t.is((await migratePostgres(firstDb, log)).length, migrations.length)
  await firstDb.User.create({
    ulid: '01J00000000000000000000000',
    name: 'kept',
    email: 'kept@example.com',
    password_hash: 'unused',
  })
  await firstDb.close()
  await first.close()

  const second = await startPgliteServer({ dataDir, log })
  const secondDb = await openDatabase(second.url, log)
  t.teardown(async () => {
    await secondDb.close()
    await second.close()
  })
  t.deepEqual(await migratePostgres(secondDb, log), [])
  t.is((await secondDb.User.findOne())?.email, 'kept@example.com')
})

test('a second server on one data directory is refused; a stale lock is taken over', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pglite-lock-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  await mkdir(path.join(dataDir, 'postgres'))
  // Left by a process that is gone: pids this high are not handed out here.
  await writeFile(path.join(dataDir, 'postgres', 'nukevideo.lock'), '4194304999')

  const first = await startPgliteServer({ dataDir, log })
  t.teardown(() => first.close())
  const second = startPgliteServer({ dataDir, log })

  const error = await t.throwsAsync(second, { instanceOf: DataDirInUseError })
  t.is(
    error?.message,
    `The embedded PostgreSQL data in ${path.join(dataDir, 'postgres')} is in use by process ` +
      `${process.pid}. Stop that process, use another DATA_DIR, or set DATABASE_URL.`,
  )
})

test('LISTEN is refused by name, and the connection goes on serving', async (t) => {
  const server = await startPgliteServer({ log })
  const client = new pg.Client({ connectionString: server.url })
  t.teardown(async () => {
    await client.end().catch(() => undefined)
    await server.close()
  })
  await client.connect()

  const statements = [
    'LISTEN a',
    '  unlisten *',
    `/* ${'why '.repeat(400)}*/ -- and\n LISTEN b`,
    { text: 'LISTEN c', name: 'prepared-listen' },
  ]
  for (const statement of statements) {
    const refusal = await t.throwsAsync(client.query(statement))
    t.is((refusal as { code?: string }).code, '0A000')
    t.is(refusal?.message, 'LISTEN is not supported by the embedded PostgreSQL server')
  }
  t.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }])
  t.deepEqual((await client.query('SELECT pg_listening_channels() AS c')).rows, [])

  // Inside a transaction the refusal aborts it, as PostgreSQL's own errors do.
  await client.query('BEGIN')
  await t.throwsAsync(client.query('LISTEN d'), { message: /LISTEN is not supported/ })
  await t.throwsAsync(client.query('SELECT 1'), { message: /current transaction is aborted/ })
  await client.query('ROLLBACK')
  t.deepEqual((await client.query('SELECT 2 AS two')).rows, [{ two: 2 }])
})
