import type { Metric, UsageRecord } from './event-schema.js'
import { microsToDecimal } from './quantity.js'

/** One row of the `usage` SummingMergeTree, as sent in JSONEachRow. */
export interface UsageRow {
  user_id: number
  metric: Metric
  external_user_id: string
  date: string
  /** Decimal text, exact: bytes or seconds. */
  value: string
  events: number
}

export const usageColumns = [
  'user_id',
  'metric',
  'external_user_id',
  'date',
  'value',
  'events',
] as const

/**
 * Pre-aggregates events by the table's key, so a batch of thousands of events
 * becomes a handful of rows. Sums stay in bigint micro-units until the end.
 * Rows come out in key order, so a retry of a batch sends the same bytes.
 */
export function aggregateUsage(records: Iterable<UsageRecord>): UsageRow[] {
  const groups = new Map<string, UsageRow & { micros: bigint }>()
  for (const record of records) {
    const key = JSON.stringify([record.userId, record.metric, record.externalUserId, record.day])
    const group = groups.get(key)
    if (group) {
      group.micros += record.micros
      group.events += 1
      continue
    }
    groups.set(key, {
      user_id: record.userId,
      metric: record.metric,
      external_user_id: record.externalUserId,
      date: record.day,
      value: '',
      events: 1,
      micros: record.micros,
    })
  }

  return [...groups.keys()].sort().map((key) => {
    const { micros, ...row } = groups.get(key) as UsageRow & { micros: bigint }
    return { ...row, value: microsToDecimal(micros) }
  })
}
