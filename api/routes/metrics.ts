import { Router } from '@koa/router'
import type { Registry } from 'prom-client'
import { METRICS_ABILITY } from '../../src/accounts/tokens.js'
import { ForbiddenError } from '../../src/errors.js'
import type { Database } from '../../src/postgres/database.js'
import { authenticate } from '../middleware/authenticate.js'

/**
 * `GET /metrics` in Prometheus's text format, for an admin's ordinary token or
 * a token with the `metrics` ability (an admin's, good for nothing else): a
 * scraper's credential then reads figures and cannot manage anything.
 */
export function metricsRoutes(db: Database, registry: Registry): Router {
  const router = new Router()

  router.get('/metrics', authenticate(db, { anyToken: true }), async (ctx) => {
    // Only admins may be granted the ability, so a user no longer admin loses its use too.
    if (!ctx.state.user.is_admin) throw new ForbiddenError()
    const abilities: string[] = ctx.state.abilities
    if (abilities.length > 0 && !abilities.includes(METRICS_ABILITY)) {
      throw new ForbiddenError(`This token is only for: ${abilities.join(', ')}.`)
    }

    ctx.type = registry.contentType
    ctx.body = await registry.metrics()
  })

  return router
}
