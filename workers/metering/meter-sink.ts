import type { ClickHouse } from '../../src/clickhouse/client.js'
import { bandwidthColumns, bandwidthRows } from '../../src/metering/bandwidth-rows.js'
import type {
  ActivityRecord,
  BandwidthRecord,
  MeterRecord,
  UsageRecord,
} from '../../src/metering/event-schema.js'
import { aggregateUsage, usageColumns } from '../../src/metering/usage-rows.js'
import type { Database } from '../../src/postgres/database.js'
import { insertActivity } from './activity-sink.js'
import { insertBatch } from './clickhouse-sink.js'

export interface BatchSummary {
  usageRows: number
  bandwidthRows: number
  activityEntries: number
}

/**
 * Where a batch goes: usage pre-aggregated into the SummingMergeTree,
 * bandwidth row by row into its own table, activity into PostgreSQL. Every
 * write is idempotent for the same batch, so a retry or an adopting worker can
 * run the whole batch again and nothing counts twice.
 */
export class MeterSink {
  constructor(
    private readonly clickhouse: ClickHouse,
    private readonly db: Database,
  ) {}

  async write(batchId: string, records: readonly MeterRecord[]): Promise<BatchSummary> {
    const usage: UsageRecord[] = []
    const bandwidth: BandwidthRecord[] = []
    const activity: ActivityRecord[] = []
    for (const record of records) {
      if (record.kind === 'usage') usage.push(record)
      else if (record.kind === 'bandwidth') bandwidth.push(record)
      else activity.push(record)
    }

    const usageRows = aggregateUsage(usage)
    const rowsOfBandwidth = bandwidthRows(bandwidth)
    const table = (name: string, columns: readonly string[]) => ({ table: name, columns })
    await Promise.all([
      insertBatch(this.clickhouse, table('usage', usageColumns), batchId, usageRows),
      insertBatch(this.clickhouse, table('bandwidth', bandwidthColumns), batchId, rowsOfBandwidth),
      insertActivity(this.db, activity),
    ])

    return {
      usageRows: usageRows.length,
      bandwidthRows: rowsOfBandwidth.length,
      activityEntries: activity.length,
    }
  }
}
