import type { ClickHouseMigrationContext } from '../../src/clickhouse/migrate.js'

/**
 * One row per `bandwidth` event from the streaming proxies. Rows stay raw,
 * not summed, because analytics counts distinct sessions, addresses and
 * videos across any range of days, which sums of daily counts cannot give.
 * `ip` is IPv6; an IPv4 address is stored IPv4-mapped and read back as IPv4.
 * The deduplication window lets a retried insert with the same token be skipped.
 */
export async function up({ context }: { context: ClickHouseMigrationContext }): Promise<void> {
  await context.client.command({
    query: `
      CREATE TABLE IF NOT EXISTS ${context.database}.bandwidth (
        event_id String,
        user_id UInt64,
        date Date,
        occurred_at DateTime64(3, 'UTC'),
        video_ulid String,
        external_user_id String,
        session_id String,
        ip IPv6,
        bytes UInt64
      )
      ENGINE = MergeTree
      PARTITION BY toYYYYMM(date)
      ORDER BY (user_id, date, video_ulid)
      SETTINGS non_replicated_deduplication_window = 10000`,
  })
}
