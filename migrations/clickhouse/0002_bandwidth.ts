import type { ClickHouseMigrationContext } from '../../src/clickhouse/migrate.js'
import { createTableStatements, type TableDefinition } from '../../src/clickhouse/table-ddl.js'

/**
 * One row per `bandwidth` event from the streaming proxies. Rows stay raw,
 * not summed, because analytics counts distinct sessions, addresses and
 * videos across any range of days, which sums of daily counts cannot give.
 * `ip` is IPv6; an IPv4 address is stored IPv4-mapped and read back as IPv4.
 * The deduplication window lets a retried insert with the same token be skipped.
 */
export const bandwidthTable: TableDefinition = {
  name: 'bandwidth',
  columns: [
    'event_id String',
    'user_id UInt64',
    'date Date',
    "occurred_at DateTime64(3, 'UTC')",
    'video_ulid String',
    'external_user_id String',
    'session_id String',
    'ip IPv6',
    'bytes UInt64',
  ],
  engine: 'MergeTree',
  partitionBy: 'toYYYYMM(date)',
  orderBy: '(user_id, date, video_ulid)',
  deduplicated: true,
}

export async function up({ context }: { context: ClickHouseMigrationContext }): Promise<void> {
  for (const query of createTableStatements(context, bandwidthTable)) {
    await context.client.command({ query })
  }
}
