import { Router } from '@koa/router'
import { analyticsQuerySchema } from '../../src/analytics/analytics-query.js'
import { readAnalytics } from '../../src/analytics/analytics-report.js'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { isRetryableClickHouseError } from '../../src/clickhouse/client.js'
import { UnavailableError } from '../../src/errors.js'
import { requireAdmin } from '../middleware/authenticate.js'
import { parseQuery } from '../query.js'

/**
 * `GET /api/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD[&user_id=N]`, admins only.
 * `from` and `to` are inclusive UTC days, at most 400 days apart; `user_id`
 * limits every figure to one user. Answers:
 *
 *   { data: { from, to, user_id (number or null),
 *     totals: { bandwidth_bytes, sessions, unique_ips, active_videos,
 *               upload_bytes, encoding_cpu_seconds, encoding_gpu_seconds },
 *     daily: [{ date, bandwidth_bytes, sessions, upload_bytes,
 *               encoding_cpu_seconds, encoding_gpu_seconds }],
 *     top_videos: [{ video_ulid, bandwidth_bytes, sessions }],
 *     top_external_users: [{ external_user_id, bandwidth_bytes, upload_bytes,
 *               encoding_cpu_seconds, encoding_gpu_seconds }] } }
 *
 * Bytes and seconds are exact decimal strings ("9007199254740993", "0.6");
 * sessions, unique_ips and active_videos are numbers, distinct over the whole
 * range (a session seen on two days is one session in the totals). `daily`
 * holds every day of the range. The top lists hold at most 10 entries: videos
 * by bandwidth, external users by bandwidth then upload bytes, ties by id.
 */
export function analyticsRoutes(clickhouse: ClickHouse): Router {
  const router = new Router()

  router.get('/api/analytics', requireAdmin, async (ctx) => {
    const query = parseQuery(analyticsQuerySchema, ctx.query)

    const data = await readAnalytics(clickhouse, query).catch((err) => {
      if (isRetryableClickHouseError(err)) {
        throw new UnavailableError('Analytics store unavailable', { cause: err })
      }
      throw err
    })
    ctx.body = { data }
  })

  return router
}
