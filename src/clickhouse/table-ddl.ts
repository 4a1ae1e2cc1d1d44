/**
 * The DDL of the product's ClickHouse tables, for one server or a cluster,
 * built by pure functions so both forms can be checked without a cluster.
 *
 * On one server each table is a plain MergeTree-family table under its own
 * name. On a cluster (`CLICKHOUSE_CLUSTER`) every statement runs `ON CLUSTER`,
 * and each table becomes two:
 *
 *   <name>_local  a Replicated table on every node, holding that shard's rows;
 *                 the worker inserts here (see workers/metering/clickhouse-sink.ts)
 *   <name>        a Distributed table over every shard's <name>_local
 *
 * Reads keep naming `<name>`, so they go through the Distributed table on a
 * cluster and straight to the table on one server, with the same SQL.
 */

/** Where the product's tables live: a database, on one server or on a named cluster. */
export interface ClickHouseLayout {
  database: string
  /** The cluster as the servers' `remote_servers` name it; unset on one server. */
  cluster?: string | undefined
}

type MergeTreeFamily = 'MergeTree' | 'SummingMergeTree' | 'ReplacingMergeTree'

/** One table of the product, as both forms create it. */
export interface TableDefinition {
  /** The name every read uses. */
  name: string
  /** Column definitions, such as `user_id UInt64`. */
  columns: readonly string[]
  engine: MergeTreeFamily
  /** Engine parameters after the replication path and replica, such as `(value, events)`. */
  engineParameters?: string
  partitionBy?: string
  orderBy: string
  /** True for tables written with an `insert_deduplication_token`. */
  deduplicated: boolean
}

export const LOCAL_TABLE_SUFFIX = '_local'

/**
 * How many insert tokens a table remembers, and for how long on a cluster:
 * a retried or adopted batch within them is skipped. Matches the default
 * dedup horizon, since a batch can wait out a long outage in its journal.
 */
export const DEDUP_WINDOW_INSERTS = 10_000
export const DEDUP_WINDOW_SECONDS = 7 * 24 * 3600

/** Where inserts go: the table itself on one server, the shard's local table on a cluster. */
export function insertTable(layout: ClickHouseLayout, name: string): string {
  return layout.cluster
    ? `${layout.database}.${name}${LOCAL_TABLE_SUFFIX}`
    : `${layout.database}.${name}`
}

/** The table reads go to: the same name in both forms. */
export function readTable(layout: ClickHouseLayout, name: string): string {
  return `${layout.database}.${name}`
}

export function createDatabaseStatement(layout: ClickHouseLayout): string {
  return `CREATE DATABASE IF NOT EXISTS ${layout.database}${onCluster(layout)}`
}

/** The statements that create one table, to run in order. */
export function createTableStatements(layout: ClickHouseLayout, table: TableDefinition): string[] {
  if (!layout.cluster) return [createStatement(layout, table, table.name, engineOf(table))]

  const local = `${table.name}${LOCAL_TABLE_SUFFIX}`
  return [
    createStatement(layout, table, local, replicatedEngineOf(table, local)),
    distributedStatement(layout, layout.cluster, table.name, local),
  ]
}

/**
 * The migrations' own bookkeeping, one row per applied migration. On a
 * cluster it takes the same two-table form as the data: the release process
 * may reach any node on the next deploy, and reading through the Distributed
 * table it sees what was recorded on every shard.
 */
export const migrationsTable: TableDefinition = {
  name: 'schema_migrations',
  columns: ['name String', "applied_at DateTime64(3, 'UTC') DEFAULT now64(3)"],
  engine: 'ReplacingMergeTree',
  orderBy: 'name',
  deduplicated: false,
}

function createStatement(
  layout: ClickHouseLayout,
  table: TableDefinition,
  name: string,
  engine: string,
): string {
  const lines = [
    `CREATE TABLE IF NOT EXISTS ${layout.database}.${name}${onCluster(layout)}`,
    '(',
    table.columns.map((column) => `    ${column}`).join(',\n'),
    ')',
    `ENGINE = ${engine}`,
  ]
  if (table.partitionBy) lines.push(`PARTITION BY ${table.partitionBy}`)
  lines.push(`ORDER BY ${table.orderBy}`)

  const settings = table.deduplicated ? dedupSettings(layout) : []
  if (settings.length > 0) lines.push(`SETTINGS ${settings.join(', ')}`)
  return lines.join('\n')
}

function engineOf(table: TableDefinition): string {
  return table.engineParameters ? `${table.engine}(${table.engineParameters})` : table.engine
}

/**
 * The usual replication path: one Keeper path per shard and table, so the
 * replicas of a shard share one copy of the rows and one log of insert
 * tokens. `{shard}` and `{replica}` are the servers' own macros; ClickHouse
 * fills `{database}` in itself.
 */
function replicatedEngineOf(table: TableDefinition, local: string): string {
  const parameters = [`'/clickhouse/tables/{shard}/{database}/${local}'`, "'{replica}'"]
  if (table.engineParameters) parameters.push(table.engineParameters)
  return `Replicated${table.engine}(${parameters.join(', ')})`
}

/**
 * Reads through every shard. No sharding key: the worker places rows by
 * inserting into a shard's local table, not through this table, and a key
 * would describe a placement the rows do not follow — with
 * `optimize_skip_unused_shards` a read by user would then skip shards that
 * hold that user's rows. Without a key, an INSERT through this table on
 * several shards is refused rather than spread where dedup cannot follow.
 */
function distributedStatement(
  layout: ClickHouseLayout,
  cluster: string,
  name: string,
  local: string,
): string {
  const { database } = layout
  return [
    `CREATE TABLE IF NOT EXISTS ${database}.${name}${onCluster(layout)}`,
    `AS ${database}.${local}`,
    `ENGINE = Distributed('${cluster}', '${database}', '${local}')`,
  ].join('\n')
}

/**
 * A plain MergeTree skips a repeated token only with a window set; a
 * Replicated one keeps its window in Keeper, bounded by count and by age.
 */
function dedupSettings(layout: ClickHouseLayout): string[] {
  if (!layout.cluster) return [`non_replicated_deduplication_window = ${DEDUP_WINDOW_INSERTS}`]
  return [
    `replicated_deduplication_window = ${DEDUP_WINDOW_INSERTS}`,
    `replicated_deduplication_window_seconds = ${DEDUP_WINDOW_SECONDS}`,
  ]
}

function onCluster(layout: ClickHouseLayout): string {
  return layout.cluster ? ` ON CLUSTER ${layout.cluster}` : ''
}
