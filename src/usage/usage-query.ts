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

/**
 * A user's usage per metric, external user and UTC day. Rows are summed at
 * read time, so the answer never depends on whether parts have merged yet;
 * on a cluster the sums run across every shard through the Distributed table.
 */
export async function readUsage(
  clickhouse: ClickHouse,
  userId: number,
  query: UsageQuery,
): Promise<UsageEntry[]> {
  const filters = ['user_id = {user_id:UInt64}', 'date >= {from:Date}', 'date <= {to:Date}']
  if (query.metric) filters.push('metric = {metric:String}')
  if (query.external_user_id !== undefined) filters.push('external_user_id = {external:String}')

  const result = await clickhouse.client.query({
    query: `
      SELECT metric, external_user_id, toString(date) AS day,
             toString(sum(value)) AS total, toString(sum(events)) AS event_count
      FROM ${readTable(clickhouse, 'usage')}
      WHERE ${filters.join(' AND ')}
      GROUP BY metric, external_user_id, date
      ORDER BY date, metric, external_user_id`,
    query_params: {
      user_id: String(userId),
      from: query.from,
      to: query.to,
      metric: query.metric ?? '',
      external: query.external_user_id ?? '',
    },
    format: 'JSONEachRow',
  })

  // Aliases differ from column names: ClickHouse would read an alias named
  // `date` in place of the column inside WHERE.
  const rows = await result.json<{
    metric: Metric
    external_user_id: string
    day: string
    total: string
    event_count: string
  }>()
  return rows.map((row) => ({
    metric: row.metric,
    external_user_id: row.external_user_id,
    date: row.day,
    value: row.total,
    unit: METRICS[row.metric],
    events: Number(row.event_count),
  }))
}
