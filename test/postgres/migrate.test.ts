import test from 'ava'
import { pino } from 'pino'
import { migratePostgres } from '../../src/postgres/migrate.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

const log = pino({ level: 'silent' })
let fresh: FreshDatabase

test.before(async () => {
  fresh = await freshDatabase()
})

test.after.always(async () => {
  await fresh?.close()
})

test.serial('a second run applies nothing and the recorded names carry no extension', async (t) => {
  t.deepEqual(await migratePostgres(fresh.db, log), [])

  const [rows] = await fresh.db.sequelize.query('SELECT name FROM schema_migrations ORDER BY name')
  t.deepEqual(rows, [
    { name: '0001-create-users' },
    { name: '0002-create-api-tokens' },
    { name: '0003-create-activity-log' },
    { name: '0004-account-change-notices' },
  ])
})

test.serial('every migration can run again over an existing schema', async (t) => {
  await fresh.db.sequelize.query('DELETE FROM schema_migrations')

  t.deepEqual(await migratePostgres(fresh.db, log), [
    '0001-create-users',
    '0002-create-api-tokens',
    '0003-create-activity-log',
    '0004-account-change-notices',
  ])
})

test.serial('int8 results such as COUNT(*) come back as numbers', async (t) => {
  const row = await fresh.db.sequelize.query('SELECT count(*) AS n, 9::bigint + 1 AS sum', {
    plain: true,
  })

  t.deepEqual(row, { n: 1, sum: 10 })
})
