import type { ClickHouseMigrationContext } from '../../src/clickhouse/migrate.js'

/**
 * Usage per user, metric, external user and UTC day. `value` is bytes for
 * upload_bytes and seconds for encoding_cpu/encoding_gpu, exact as
 * Decimal(38, 6); `events` counts the events behind a row, so a row of
 * zero-valued events is never folded away by a merge. Merges sum rows
 * eventually, so reads always aggregate with sum(). The deduplication window
 * lets a retried insert with the same token be skipped.
 */
export async function up({ context }: { context: ClickHouseMigrationContext }): Promise<void> {
  await context.client.command({
    query: `
      CREATE TABLE IF NOT EXISTS ${context.database}.usage (
        user_id UInt64,
        metric LowCardinality(String),
        external_user_id String,
        date Date,
        value Decimal(38, 6),
        events UInt64
      )
      ENGINE = SummingMergeTree((value, events))
      PARTITION BY toYYYYMM(date)
      ORDER BY (user_id, metric, external_user_id, date)
      SETTINGS non_replicated_deduplication_window = 10000`,
  })
}
