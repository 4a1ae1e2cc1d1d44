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

/**
 * Pre-aggregates events by the table's key, so a batch of thousands of events
 * becomes a handful of rows. Sums stay in bigint micro-units until the end.
 */
export function aggregateUsage(records: Iterable<UsageRecord>): UsageRow[] {
  const groups = new Map<string, { record: UsageRecord; micros: bigint; events: number }>()
  for (const record of records) {
    const key = JSON.stringify([record.userId, record.metric, record.externalUserId, record.day])
    const group = groups.get(key)
    if (group) {
      group.micros += record.micros
      group.events += 1
    } else {
      groups.set(key, { record, micros: record.micros, events: 1 })
    }
  }

  return [...groups.values()].map(({ record, micros, events }) => ({
    user_id: record.userId,
    metric: record.metric,
    external_user_id: record.externalUserId,
    date: record.day,
    value: microsToDecimal(micros),
    events,
  }))
}

/** The compact form a record takes in a batch journal. */
export function encodeRecord(record: UsageRecord): string {
  return JSON.stringify([
    record.userId,
    record.metric,
    record.externalUserId,
    record.day,
    record.micros.toString(),
  ])
}

export function decodeRecord(eventId: string, stored: string): UsageRecord {
  const [userId, metric, externalUserId, day, micros] = JSON.parse(stored) as [
    number,
    Metric,
    string,
    string,
    string,
  ]
  return { eventId, userId, metric, externalUserId, day, micros: BigInt(micros) }
}
