import { readTable } from '../clickhouse/table-ddl.js'
import type { Metric } from '../metering/event-schema.js'
import type { AnalyticsQuery } from './analytics-query.js'

/**
 * One SELECT of the analytics read and the columns each of its rows must
 * carry. Every column is text: 64-bit and 128-bit integers and decimals stay
 * exact, whatever the backend's JSON settings for large numbers.
 */
export interface Statement<Column extends string> {
  sql: string
  columns: readonly Column[]
}

/** How many videos and external users the top lists hold. */
export const TOP_LIMIT = 10

/** The usage figures of a report and the metric each one sums. */
const usageFigures = {
  upload_bytes: 'upload_bytes',
  encoding_cpu_seconds: 'encoding_cpu',
  encoding_gpu_seconds: 'encoding_gpu',
} as const satisfies Record<string, Metric>

type UsageFigure = keyof typeof usageFigures
const usageFigureNames = Object.keys(usageFigures) as UsageFigure[]

/**
 * Bytes are summed as UInt128: sum() over UInt64 would wrap past 2^64.
 * Sessions are distinct non-empty session ids; a row without one is still
 * bandwidth, but no session.
 */
const bandwidthBytes = 'sum(toUInt128(bytes))'
const sessionCount = "uniqExactIf(session_id, session_id != '')"

/** `sumIf(value, metric = …)` per usage figure, as text. Metric names are constants. */
const usageSums = usageFigureNames
  .map((name) => `toString(sumIf(value, metric = '${usageFigures[name]}')) AS ${name}`)
  .join(',\n')

/** Parameters bound into every statement. */
export function analyticsParams(query: AnalyticsQuery): Record<string, string> {
  return { from: query.from, to: query.to, user_id: String(query.user_id ?? 0) }
}

/**
 * Both tables are read with aggregates only (sum, uniqExact), never raw rows
 * or FINAL: `usage` is a SummingMergeTree whose rows fold whenever parts
 * merge, and only an aggregate gives the same answer before and after.
 * Aliases never reuse a column name, which ClickHouse would read in WHERE.
 */
export function analyticsStatements(database: string, query: AnalyticsQuery) {
  const filters = ['date >= {from:Date}', 'date <= {to:Date}']
  if (query.user_id !== undefined) filters.push('user_id = {user_id:UInt64}')
  const where = filters.join(' AND ')
  // On a cluster these are the Distributed tables: aggregates, uniqExact
  // included, are merged across shards before they come back.
  const bandwidth = readTable({ database }, 'bandwidth')
  const usage = readTable({ database }, 'usage')

  return {
    bandwidthTotals: statement(
      `SELECT toString(${bandwidthBytes}) AS bandwidth_bytes,
              toString(${sessionCount}) AS sessions,
              toString(uniqExact(ip)) AS unique_ips,
              toString(uniqExact(video_ulid)) AS active_videos
       FROM ${bandwidth} WHERE ${where}`,
      ['bandwidth_bytes', 'sessions', 'unique_ips', 'active_videos'],
    ),

    usageTotals: statement(`SELECT ${usageSums} FROM ${usage} WHERE ${where}`, usageFigureNames),

    bandwidthDaily: statement(
      `SELECT toString(date) AS day,
              toString(${bandwidthBytes}) AS bandwidth_bytes,
              toString(${sessionCount}) AS sessions,
              toString(uniqExact(ip)) AS unique_ips,
              toString(uniqExact(video_ulid)) AS active_videos
       FROM ${bandwidth} WHERE ${where}
       GROUP BY date ORDER BY date`,
      ['day', 'bandwidth_bytes', 'sessions', 'unique_ips', 'active_videos'],
    ),

    usageDaily: statement(
      `SELECT toString(date) AS day, ${usageSums}
       FROM ${usage} WHERE ${where}
       GROUP BY date ORDER BY date`,
      ['day', ...usageFigureNames],
    ),

    topVideos: statement(
      `SELECT video_ulid,
              toString(${bandwidthBytes}) AS bandwidth_bytes,
              toString(${sessionCount}) AS sessions
       FROM ${bandwidth} WHERE ${where}
       GROUP BY video_ulid
       ORDER BY ${bandwidthBytes} DESC, video_ulid
       LIMIT ${TOP_LIMIT}`,
      ['video_ulid', 'bandwidth_bytes', 'sessions'],
    ),

    topExternalUsers: topExternalUsers(bandwidth, usage, where),
  }
}

/**
 * External users ranked by bandwidth, then uploads, across both tables: each
 * side is summed per external user, then the two sums are added up. The empty
 * id means "no external user given" and is no one to rank.
 */
function topExternalUsers(bandwidth: string, usage: string, where: string) {
  const zero = 'toDecimal128(0, 6)'
  const usageParts = usageFigureNames.map(
    (name) => `sumIf(value, metric = '${usageFigures[name]}') AS ${name}_part`,
  )
  const totals = usageFigureNames.map((name) => `toString(sum(${name}_part)) AS ${name}`)

  return statement(
    `SELECT external_user_id,
            toString(sum(bandwidth_part)) AS bandwidth_bytes,
            ${totals.join(',\n')}
     FROM (
       SELECT external_user_id, ${bandwidthBytes} AS bandwidth_part,
              ${usageFigureNames.map((name) => `${zero} AS ${name}_part`).join(', ')}
       FROM ${bandwidth} WHERE ${where} AND external_user_id != ''
       GROUP BY external_user_id
       UNION ALL
       SELECT external_user_id, toUInt128(0) AS bandwidth_part, ${usageParts.join(', ')}
       FROM ${usage} WHERE ${where} AND external_user_id != ''
       GROUP BY external_user_id
     )
     GROUP BY external_user_id
     ORDER BY sum(bandwidth_part) DESC, sum(upload_bytes_part) DESC, external_user_id
     LIMIT ${TOP_LIMIT}`,
    ['external_user_id', 'bandwidth_bytes', ...usageFigureNames],
  )
}

function statement<Column extends string>(
  sql: string,
  columns: readonly Column[],
): Statement<Column> {
  return { sql, columns }
}
