import type { ClickHouseMigrationContext } from '../../src/clickhouse/migrate.js'
import { createTableStatements, type TableDefinition } from '../../src/clickhouse/table-ddl.js'

/**
 * Usage per user, metric, external user and UTC day. `value` is bytes for
 * upload_bytes and seconds for encoding_cpu/encoding_gpu, exact as
 * Decimal(38, 6); `events` counts the events behind a row, so a row of
 * zero-valued events is never folded away by a merge. Merges sum rows
 * eventually, so reads always aggregate with sum(). The deduplication window
 * lets a retried insert with the same token be skipped.
 */
export const usageTable: TableDefinition = {
  name: 'usage',
  columns: [
    'user_id UInt64',
    'metric LowCardinality(String)',
    'external_user_id String',
    'date Date',
    'value Decimal(38, 6)',
    'events UInt64',
  ],
  engine: 'SummingMergeTree',
  engineParameters: '(value, events)',
  partitionBy: 'toYYYYMM(date)',
  orderBy: '(user_id, metric, external_user_id, date)',
  deduplicated: true,
}

export async function up({ context }: { context: ClickHouseMigrationContext }): Promise<void> {
  for (const query of createTableStatements(context, usageTable)) {
    await context.client.command({ query })
  }
}
