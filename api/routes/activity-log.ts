import { Router } from '@koa/router'
import { z } from 'zod'
import { toActivityJson } from '../../src/activity/activity-log.js'
import {
  activityFilterParams,
  checkActivityDays,
  readActivity,
} from '../../src/activity/activity-query.js'
import type { Database } from '../../src/postgres/database.js'
import { pageMeta, pageParams, pageWindow } from '../pagination.js'
import { parseQuery } from '../query.js'

/** The query string of `GET /api/activity-log`. */
export const activityQuerySchema = z
  .strictObject({
    ...pageParams,
    ...activityFilterParams,
  })
  .superRefine(checkActivityDays)

/** `GET /api/activity-log`: the caller's own history, newest first. */
export function activityLogRoutes(db: Database): Router {
  const router = new Router()

  router.get('/api/activity-log', async (ctx) => {
    const query = parseQuery(activityQuerySchema, ctx.query)

    const { page, per_page, ...filters } = query
    const { rows, total } = await readActivity(
      db,
      ctx.state.user.id,
      filters,
      pageWindow({ page, per_page }),
    )

    ctx.body = { data: rows.map(toActivityJson), meta: pageMeta({ page, per_page }, total) }
  })

  return router
}
