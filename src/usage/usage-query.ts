import { z } from 'zod'
import type { ClickHouse } from '../clickhouse/client.js'
import { readTable } from '../clickhouse/table-ddl.js'
import { METRICS, type Metric, metricNames } from '../metering/event-schema.js'
import { checkDayRange, dayParam } from '../time/day-param.js'

/** Longest range one usage read may span, in days, both ends counted. */
export const MAX_USAGE_DAYS = 400

const day = dayParam

/** The query string of `GET /api/usage`. */
export const usageQuerySchema = z
  .strictObject({
    from: day,
    to: day,
    metric: z.enum(metricNames, { error: `must be one of ${metricNames.join(', ')}` }).optional(),
    external_user_id: z.string().max(255, 'must be at most 255 characters').optional(),
  })
  .superRefine(checkDayRange(MAX_USAGE_DAYS))

export type UsageQuery = z.output<typeof usageQuerySchema>

/** One row of a usage read. `value` is decimal text, exact: bytes or seconds. */
export interface UsageEntry {
  metric: Metric
  external_user_id: string
  date: string
  value: string
  unit: (typeof METRICS)[Metric]
  events: number
}

/** Which usage a read covers: one user or all, a range of days, a metric, an external user. */
export interface UsageFilter {
  /** Unset: every user. */
  userId?: number
  from: string
  to: string
  metric?: Metric
  externalUserId?: string
}

/** A row of `usageStatement` as ClickHouse sends it: every figure as decimal text. */
export interface UsageRow {
  user_text: string
  metric: Metric
  external_user_id: string
  day: string
  total: string
  event_count: string
}

/**
 * The statement of every usage read: rows summed per user, metric, external
 * user and UTC day at read time, so the answer never depends on whether parts
 * have merged yet, ordered by day; on a cluster the sums run across every
 * shard through the Distributed table. Sums are exact decimal text.
 */
export function usageStatement(
  database: string,
  filter: UsageFilter,
): { query: string; query_params: Record<string, string> } {
  const filters = ['date >= {from:Date}', 'date <= {to:Date}']
  if (filter.userId !== undefined) filters.unshift('user_id = {user_id:UInt64}')
  if (filter.metric) filters.push('metric = {metric:String}')
  if (filter.externalUserId !== undefined) filters.push('external_user_id = {external:String}')

  // Aliases differ from column names: ClickHouse would read an alias named
  // `date` or `user_id` in place of the column inside WHERE.
  return {
    query: `
      SELECT toString(user_id) AS user_text, metric, external_user_id, toString(date) AS day,
             toString(sum(value)) AS total, toString(sum(events)) AS event_count
      FROM ${readTable({ database }, 'usage')}
      WHERE ${filters.join(' AND ')}
      GROUP BY user_id, metric, external_user_id, date
      ORDER BY date, user_id, metric, external_user_id`,
    query_params: {
      user_id: String(filter.userId ?? 0),
      from: filter.from,
      to: filter.to,
      metric: filter.metric ?? '',
      external: filter.externalUserId ?? '',
    },
  }
}

/** A row of `usageStatement` in the shape every reader shows: value and unit. */
export function toUsageEntry(row: UsageRow): UsageEntry {
  return {
    metric: row.metric,
    external_user_id: row.external_user_id,
    date: row.day,
    value: row.total,
    unit: METRICS[row.metric],
    events: Number(row.event_count),
  }
}

/** A user's usage per metric, external user and UTC day, ordered by day. */
export async function readUsage(
  clickhouse: ClickHouse,
  userId: number,
  query: UsageQuery,
): Promise<UsageEntry[]> {
  const statement = usageStatement(clickhouse.database, {
    userId,
    from: query.from,
    to: query.to,
    metric: query.metric,
    externalUserId: query.external_user_id,
  })
  const result = await clickhouse.client.query({ ...statement, format: 'JSONEachRow' })
  const rows = await result.json<UsageRow>()
  return rows.map(toUsageEntry)
}
