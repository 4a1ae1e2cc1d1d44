import test from 'ava'
import { pino } from 'pino'
import { migrateClickHouse } from '../../src/clickhouse/migrate.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'

const log = pino({ level: 'silent' })

test('migrations apply once and a rerun applies nothing', async (t) => {
  const ch = await freshClickHouse()
  t.teardown(() => ch.close())
  const other = { ...ch, database: `${ch.database}_other` }
  t.teardown(() => ch.client.command({ query: `DROP DATABASE IF EXISTS ${other.database} SYNC` }))

  t.deepEqual(await migrateClickHouse(other, log), ['0001_usage', '0002_bandwidth'])
  t.deepEqual(await migrateClickHouse(other, log), [])
  t.deepEqual(await migrateClickHouse(ch, log), [])

  const recorded = await ch.client.query({
    query: `SELECT name FROM ${ch.database}.schema_migrations ORDER BY name`,
    format: 'JSONEachRow',
  })
  t.deepEqual(await recorded.json(), [{ name: '0001_usage' }, { name: '0002_bandwidth' }])
})

test('the usage table is a SummingMergeTree over value and events', async (t) => {
  const ch = await freshClickHouse()
  t.teardown(() => ch.close())

  const result = await ch.client.query({
    query:
      'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String}' +
      ' ORDER BY position',
    query_params: { db: ch.database, t: 'usage' },
    format: 'JSONEachRow',
  })
  t.deepEqual(await result.json(), [
    { name: 'user_id', type: 'UInt64' },
    { name: 'metric', type: 'LowCardinality(String)' },
    { name: 'external_user_id', type: 'String' },
    { name: 'date', type: 'Date' },
    { name: 'value', type: 'Decimal(38, 6)' },
    { name: 'events', type: 'UInt64' },
  ])

  const engine = await ch.client.query({
    query:
      'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {t:String}',
    query_params: { db: ch.database, t: 'usage' },
    format: 'JSONEachRow',
  })
  const [row] = await engine.json<{ engine_full: string }>()
  t.true(row?.engine_full.startsWith('SummingMergeTree((value, events))'))
  t.true(row?.engine_full.includes('non_replicated_deduplication_window = 10000'))
})
