import { Router } from '@koa/router'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { isRetryableClickHouseError } from '../../src/clickhouse/client.js'
import { UnavailableError } from '../../src/errors.js'
import { readUsage, usageQuerySchema } from '../../src/usage/usage-query.js'
import { parseQuery } from '../query.js'

/** `GET /api/usage`: the caller's own usage, never anyone else's. */
export function usageRoutes(clickhouse: ClickHouse): Router {
  const router = new Router()

  router.get('/api/usage', async (ctx) => {
    const query = parseQuery(usageQuerySchema, ctx.query)

    const data = await readUsage(clickhouse, ctx.state.user.id, query).catch((err) => {
      if (isRetryableClickHouseError(err)) {
        throw new UnavailableError('Usage store unavailable', { cause: err })
      }
      throw err
    })
    ctx.body = { data }
  })

  return router
}
