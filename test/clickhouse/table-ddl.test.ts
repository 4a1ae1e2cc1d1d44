import test from 'ava'
import { usageTable } from '../../migrations/clickhouse/0001_usage.js'
import { bandwidthTable } from '../../migrations/clickhouse/0002_bandwidth.js'
import {
  createDatabaseStatement,
  createTableStatements,
  insertTable,
  migrationsTable,
  readTable,
} from '../../src/clickhouse/table-ddl.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'

const single = { database: 'nukevideo' }
const cluster = { database: 'nukevideo', cluster: 'metering' }

const usageColumns = `(
    user_id UInt64,
    metric LowCardinality(String),
    external_user_id String,
    date Date,
    value Decimal(38, 6),
    events UInt64
)`

const bandwidthColumns = `(
    event_id String,
    user_id UInt64,
    date Date,
    occurred_at DateTime64(3, 'UTC'),
    video_ulid String,
    external_user_id String,
    session_id String,
    ip IPv6,
    bytes UInt64
)`

test('on one server each table is a plain MergeTree with a window for insert tokens', (t) => {
  t.is(createDatabaseStatement(single), 'CREATE DATABASE IF NOT EXISTS nukevideo')
  t.deepEqual(createTableStatements(single, usageTable), [
    `CREATE TABLE IF NOT EXISTS nukevideo.usage
${usageColumns}
ENGINE = SummingMergeTree((value, events))
PARTITION BY toYYYYMM(date)
ORDER BY (user_id, metric, external_user_id, date)
SETTINGS non_replicated_deduplication_window = 10000`,
  ])
  t.deepEqual(createTableStatements(single, bandwidthTable), [
    `CREATE TABLE IF NOT EXISTS nukevideo.bandwidth
${bandwidthColumns}
ENGINE = MergeTree
PARTITION BY toYYYYMM(date)
ORDER BY (user_id, date, video_ulid)
SETTINGS non_replicated_deduplication_window = 10000`,
  ])
  t.deepEqual(createTableStatements(single, migrationsTable), [
    `CREATE TABLE IF NOT EXISTS nukevideo.schema_migrations
(
    name String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY name`,
  ])
})

test('on a cluster each table is a replicated local one and a Distributed one, ON CLUSTER', (t) => {
  t.is(
    createDatabaseStatement(cluster),
    'CREATE DATABASE IF NOT EXISTS nukevideo ON CLUSTER metering',
  )
  t.deepEqual(createTableStatements(cluster, usageTable), [
    `CREATE TABLE IF NOT EXISTS nukevideo.usage_local ON CLUSTER metering
${usageColumns}
ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/usage_local', \
'{replica}', (value, events))
PARTITION BY toYYYYMM(date)
ORDER BY (user_id, metric, external_user_id, date)
SETTINGS replicated_deduplication_window = 10000, \
replicated_deduplication_window_seconds = 604800`,
    `CREATE TABLE IF NOT EXISTS nukevideo.usage ON CLUSTER metering
AS nukevideo.usage_local
ENGINE = Distributed('metering', 'nukevideo', 'usage_local')`,
  ])
  t.deepEqual(createTableStatements(cluster, bandwidthTable), [
    `CREATE TABLE IF NOT EXISTS nukevideo.bandwidth_local ON CLUSTER metering
${bandwidthColumns}
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/bandwidth_local', \
'{replica}')
PARTITION BY toYYYYMM(date)
ORDER BY (user_id, date, video_ulid)
SETTINGS replicated_deduplication_window = 10000, \
replicated_deduplication_window_seconds = 604800`,
    `CREATE TABLE IF NOT EXISTS nukevideo.bandwidth ON CLUSTER metering
AS nukevideo.bandwidth_local
ENGINE = Distributed('metering', 'nukevideo', 'bandwidth_local')`,
  ])
  t.deepEqual(createTableStatements(cluster, migrationsTable), [
    `CREATE TABLE IF NOT EXISTS nukevideo.schema_migrations_local ON CLUSTER metering
(
    name String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree(\
'/clickhouse/tables/{shard}/{database}/schema_migrations_local', '{replica}')
ORDER BY name`,
    `CREATE TABLE IF NOT EXISTS nukevideo.schema_migrations ON CLUSTER metering
AS nukevideo.schema_migrations_local
ENGINE = Distributed('metering', 'nukevideo', 'schema_migrations_local')`,
  ])
})

test('reads keep one name in both forms; inserts go to the local table on a cluster', (t) => {
  t.is(readTable(single, 'usage'), 'nukevideo.usage')
  t.is(readTable(cluster, 'usage'), 'nukevideo.usage')
  t.is(insertTable(single, 'usage'), 'nukevideo.usage')
  t.is(insertTable(cluster, 'usage'), 'nukevideo.usage_local')
  t.is(insertTable(cluster, 'bandwidth'), 'nukevideo.bandwidth_local')
})

test('the cluster DDL parses, and every setting it names exists in ClickHouse', async (t) => {
  const ch = await freshClickHouse()
  t.teardown(() => ch.close())
  const statements = [
    createDatabaseStatement(cluster),
    ...[usageTable, bandwidthTable, migrationsTable].flatMap((table) =>
      createTableStatements(cluster, table),
    ),
  ]

  for (const statement of statements) {
    const result = await ch.client.query({
      query: 'SELECT formatQuery({statement:String}) AS formatted',
      query_params: { statement },
      format: 'JSONEachRow',
    })
    const [row] = await result.json<{ formatted: string }>()
    t.true(row?.formatted.startsWith('CREATE '), statement)
  }

  const named = statements.flatMap((statement) =>
    [...statement.matchAll(/(\w+) = \d+/g)].map((match) => match[1] as string),
  )
  const known = await ch.client.query({
    query: 'SELECT name FROM system.merge_tree_settings WHERE name IN {names:Array(String)}',
    query_params: { names: named },
    format: 'JSONEachRow',
  })
  t.deepEqual((await known.json<{ name: string }>()).map((row) => row.name).sort(), [
    'replicated_deduplication_window',
    'replicated_deduplication_window_seconds',
  ])
})
