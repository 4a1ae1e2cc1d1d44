import { randomBytes } from 'node:crypto'
import { Router } from '@koa/router'
import type { Redis } from 'ioredis'
import Koa from 'koa'
import type { Registry } from 'prom-client'
import { UserDirectory } from '../src/accounts/user-directory.js'
import type { ClickHouse } from '../src/clickhouse/client.js'
import type { Config } from '../src/config.js'
import type { EventQueue } from '../src/ingest/ingest-events.js'
import type { Logger } from '../src/logger.js'
import type { WatchedQueues } from '../src/metering/watched-queues.js'
import { registerQueueFigures } from '../src/metrics/queue-figures.js'
import type { Database } from '../src/postgres/database.js'
import { checkReadiness, type StoreName } from '../src/readiness.js'
import { adminConsole } from './admin/admin-console.js'
import { AdminSessions } from './admin/sessions.js'
import { jsonBodyOnDemand } from './body.js'
import { authenticate } from './middleware/authenticate.js'
import { errorHandler } from './middleware/errors.js'
import { httpMetrics } from './middleware/http-metrics.js'
import { requestId } from './middleware/request-id.js'
import { buildOpenApiDocument } from './openapi/document.js'
import { activityLogRoutes } from './routes/activity-log.js'
import { analyticsRoutes } from './routes/analytics.js'
import { authRoutes } from './routes/auth.js'
import { eventRoutes } from './routes/events.js'
import { metricsRoutes } from './routes/metrics.js'
import { usageRoutes } from './routes/usage.js'
import { userRoutes } from './routes/users.js'

export interface ApiDeps {
  config: { http: Pick<Config['http'], 'bodyLimit'>; adminSession: Config['adminSession'] }
  log: Logger
  db: Database
  clickhouse: ClickHouse
  /** Where `POST /api/events` enqueues. */
  events: EventQueue
  /** Asked by `/readyz`; the API's own commands use no Redis of their own. */
  redis: Redis
  /** The queues Bull Board shows and `/metrics` reports on. */
  queues: WatchedQueues
  /** The process's registry: `/metrics` serves it, the app adds HTTP and queue figures. */
  metrics: Registry
}

/** Builds the Koa application; listening and shutdown belong to the caller. */
export function createApp(deps: ApiDeps): Koa {
  const app = new Koa({ proxy: true })
  app.on('error', (err) => deps.log.debug({ err }, 'koa error event'))

  app.use(requestId)
  app.use(httpMetrics(deps.metrics))
  app.use(errorHandler(deps.log))
  app.use(jsonBodyOnDemand(deps.config.http.bodyLimit))
  app.use(adminConsole({ ...deps, sessions: adminSessions(deps) }))
  registerQueueFigures(deps.metrics, deps.queues)

  const open = new Router()
  open.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' }
  })
  open.get('/readyz', async (ctx) => {
    const { ready, checks } = await checkReadiness(deps)
    const down = Object.keys(checks).filter((name) => checks[name as StoreName] !== 'ok')
    ctx.status = ready ? 200 : 503
    ctx.body = ready
      ? { status: 'ready', checks }
      : { message: `Not ready: ${down.join(', ')}`, checks }
  })
  const openApi = buildOpenApiDocument({ bodyLimit: deps.config.http.bodyLimit })
  open.get('/api/openapi.json', (ctx) => {
    ctx.body = openApi
  })
  app.use(open.routes())
  app.use(metricsRoutes(deps.db, deps.metrics).routes())
  app.use(authRoutes(deps.db).routes())

  const secured = new Router()
  secured.use(authenticate(deps.db))
  secured.use(usageRoutes(deps.clickhouse).routes())
  secured.use(userRoutes(deps.db).routes())
  secured.use(activityLogRoutes(deps.db).routes())
  secured.use(analyticsRoutes(deps.clickhouse).routes())
  app.use(secured.routes())
  // Events have a token rule of their own: the ingest ability.
  const events = { users: new UserDirectory(deps.db), queue: deps.events }
  app.use(eventRoutes(deps.db, events).routes())

  return app
}

function adminSessions(deps: ApiDeps): AdminSessions {
  const { secret, ttlMinutes } = deps.config.adminSession
  if (secret) return new AdminSessions(secret, ttlMinutes)

  deps.log.warn(
    'ADMIN_SESSION_SECRET is unset: dashboard sign-ins end when this process stops ' +
      'and are not honoured by other web processes',
  )
  return new AdminSessions(randomBytes(32), ttlMinutes)
}
