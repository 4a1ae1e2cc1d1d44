import type { ClickHouse } from '../../src/clickhouse/client.js'
import type { UsageRow } from '../../src/metering/usage-rows.js'

const batchIdPattern = /^[0-9a-f]{32}$/

/** Writes pre-aggregated usage rows into ClickHouse, one insert per batch. */
export class UsageSink {
  constructor(private readonly clickhouse: ClickHouse) {}

  /**
   * Inserts the rows of a batch under its id as the deduplication token: a
   * retry of the same batch, from this worker or one that took it over, is
   * skipped by the table instead of counted again. The token goes in the
   * statement, not the connection's settings, so it can never outlive it.
   */
  async insert(batchId: string, rows: UsageRow[]): Promise<void> {
    if (!batchIdPattern.test(batchId)) throw new Error(`malformed batch id ${batchId}`)
    if (rows.length === 0) return

    const body = rows.map((row) => JSON.stringify(row)).join('\n')
    const table = `${this.clickhouse.database}.usage`
    await this.clickhouse.client.command({
      query:
        `INSERT INTO ${table} (user_id, metric, external_user_id, date, value, events) ` +
        `SETTINGS insert_deduplication_token = '${batchId}' FORMAT JSONEachRow\n${body}`,
    })
  }
}
