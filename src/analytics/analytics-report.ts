import type { ClickHouse } from '../clickhouse/client.js'
import { eachUtcDay } from '../time/utc-day.js'
import type { AnalyticsQuery } from './analytics-query.js'
import { analyticsParams, analyticsStatements, type Statement } from './analytics-sql.js'

/**
 * Byte counts and seconds are decimal text, exact (bytes to the byte,
 * seconds to the microsecond), as in a usage read: bytes pass 2^53 long
 * before they pass what a byte counter can hold. Distinct counts (sessions,
 * addresses, videos) are JSON numbers: they count rows, far below 2^53.
 */
export interface AnalyticsTotals {
  bandwidth_bytes: string
  sessions: number
  unique_ips: number
  active_videos: number
  upload_bytes: string
  encoding_cpu_seconds: string
  encoding_gpu_seconds: string
}

/** One UTC day: the totals' figures, distinct counts counting what was seen that day. */
export interface DailyAnalytics extends AnalyticsTotals {
  date: string
}

export interface TopVideo {
  video_ulid: string
  bandwidth_bytes: string
  sessions: number
}

export interface TopExternalUser {
  external_user_id: string
  bandwidth_bytes: string
  upload_bytes: string
  encoding_cpu_seconds: string
  encoding_gpu_seconds: string
}

/** The answer of `GET /api/analytics`; every figure is limited to `user_id` when one is given. */
export interface AnalyticsReport {
  from: string
  to: string
  user_id: number | null
  totals: AnalyticsTotals
  /** Every day of the range, in order, with zeros on days without traffic or usage. */
  daily: DailyAnalytics[]
  top_videos: TopVideo[]
  top_external_users: TopExternalUser[]
}

type Statements = ReturnType<typeof analyticsStatements>
type RowsOf<S> = S extends Statement<infer Column> ? Record<Column, string>[] : never

/** The rows each statement of a report returned. */
export type AnalyticsRows = { [Name in keyof Statements]: RowsOf<Statements[Name]> }

/**
 * Reads every figure of a report. All statements run at once and each result
 * is read to its end before anything is shaped, so a failure in any of them,
 * even one that arrives after rows have started to stream, rejects the whole
 * report: the caller never gets partial figures.
 */
export async function readAnalytics(
  clickhouse: ClickHouse,
  query: AnalyticsQuery,
): Promise<AnalyticsReport> {
  const statements = analyticsStatements(clickhouse.database, query)
  const params = analyticsParams(query)
  const select = <Column extends string>(statement: Statement<Column>) =>
    selectRows(clickhouse, statement, params)

  const [bandwidthTotals, usageTotals, bandwidthDaily, usageDaily, topVideos, topExternalUsers] =
    await Promise.all([
      select(statements.bandwidthTotals),
      select(statements.usageTotals),
      select(statements.bandwidthDaily),
      select(statements.usageDaily),
      select(statements.topVideos),
      select(statements.topExternalUsers),
    ])

  return shapeReport(query, {
    bandwidthTotals,
    usageTotals,
    bandwidthDaily,
    usageDaily,
    topVideos,
    topExternalUsers,
  })
}

/**
 * Runs one statement and checks that every row carries each expected column
 * as text. A result of another shape is refused rather than shaped into
 * wrong figures: the embedded engine has been seen to hand the leftover rows
 * of a query that failed mid-stream to the next query on the same engine.
 */
async function selectRows<Column extends string>(
  clickhouse: ClickHouse,
  statement: Statement<Column>,
  params: Record<string, string>,
): Promise<Record<Column, string>[]> {
  const result = await clickhouse.client.query({
    query: statement.sql,
    query_params: params,
    format: 'JSONEachRow',
  })
  const rows = await result.json<Record<Column, unknown>>()

  for (const row of rows) {
    for (const column of statement.columns) {
      if (typeof row[column] !== 'string') {
        throw new Error(`analytics row without text column ${column}`)
      }
    }
  }
  return rows as Record<Column, string>[]
}

/** Builds the report from the rows; days without rows are filled in with zeros. */
export function shapeReport(query: AnalyticsQuery, rows: AnalyticsRows): AnalyticsReport {
  const bandwidth = onlyRow(rows.bandwidthTotals, 'bandwidth totals')
  const usage = onlyRow(rows.usageTotals, 'usage totals')
  const bandwidthByDay = new Map(rows.bandwidthDaily.map((row) => [row.day, row]))
  const usageByDay = new Map(rows.usageDaily.map((row) => [row.day, row]))

  // Stepping UTC days keeps the series independent of the process's time zone.
  const daily = eachUtcDay(query.from, query.to).map((date) => {
    const traffic = bandwidthByDay.get(date)
    const used = usageByDay.get(date)
    return {
      date,
      bandwidth_bytes: traffic?.bandwidth_bytes ?? '0',
      sessions: count(traffic?.sessions ?? '0'),
      unique_ips: count(traffic?.unique_ips ?? '0'),
      active_videos: count(traffic?.active_videos ?? '0'),
      upload_bytes: used?.upload_bytes ?? '0',
      encoding_cpu_seconds: used?.encoding_cpu_seconds ?? '0',
      encoding_gpu_seconds: used?.encoding_gpu_seconds ?? '0',
    }
  })

  return {
    from: query.from,
    to: query.to,
    user_id: query.user_id ?? null,
    totals: {
      bandwidth_bytes: bandwidth.bandwidth_bytes,
      sessions: count(bandwidth.sessions),
      unique_ips: count(bandwidth.unique_ips),
      active_videos: count(bandwidth.active_videos),
      upload_bytes: usage.upload_bytes,
      encoding_cpu_seconds: usage.encoding_cpu_seconds,
      encoding_gpu_seconds: usage.encoding_gpu_seconds,
    },
    daily,
    top_videos: rows.topVideos.map((row) => ({
      video_ulid: row.video_ulid,
      bandwidth_bytes: row.bandwidth_bytes,
      sessions: count(row.sessions),
    })),
    top_external_users: rows.topExternalUsers.map((row) => ({
      external_user_id: row.external_user_id,
      bandwidth_bytes: row.bandwidth_bytes,
      upload_bytes: row.upload_bytes,
      encoding_cpu_seconds: row.encoding_cpu_seconds,
      encoding_gpu_seconds: row.encoding_gpu_seconds,
    })),
  }
}

/** An aggregate without GROUP BY answers exactly one row, even over no rows at all. */
function onlyRow<Row>(rows: Row[], what: string): Row {
  const [row] = rows
  if (rows.length !== 1 || row === undefined) {
    throw new Error(`${what}: expected one row, got ${rows.length}`)
  }
  return row
}

/** A distinct count as a number; anything but plain digits is refused, not turned into NaN. */
function count(text: string): number {
  const value = Number(text)
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new Error(`not a count: ${JSON.stringify(text)}`)
  }
  return value
}
