import type { Context, Middleware, Next } from 'koa'
import type { Logger } from '../../src/logger.js'
import type { WatchedQueues } from '../../src/metering/watched-queues.js'
import type { Database } from '../../src/postgres/database.js'
import { requireDashboardAdmin } from './admin-access.js'
import { type AdminPaths, loginRoutes } from './login.js'
import { queueBoard } from './queue-board.js'
import type { AdminSessions } from './sessions.js'

export const ADMIN_PATHS: AdminPaths = {
  board: '/admin/queues',
  login: '/admin/login',
  logout: '/admin/logout',
}

export interface AdminConsoleDeps {
  db: Database
  queues: WatchedQueues
  sessions: AdminSessions
  log: Logger
}

/**
 * Everything under `/admin`: the sign-in form and Bull Board behind it. These
 * are browser pages, not part of the JSON API or its OpenAPI document.
 */
export function adminConsole(deps: AdminConsoleDeps): Middleware {
  const paths = ADMIN_PATHS
  const login = loginRoutes(deps.db, deps.sessions, paths).routes() as Middleware
  const guard = requireDashboardAdmin(deps.db, deps.sessions, paths)
  const board = queueBoard(deps.queues, paths, deps.log)

  return async function serveAdmin(ctx: Context, next: Next): Promise<void> {
    if (ctx.path !== '/admin' && !ctx.path.startsWith('/admin/')) return next()
    guardPages(ctx, paths)

    if (ctx.path === paths.board || ctx.path.startsWith(`${paths.board}/`)) {
      // Refused before Bull Board's router could name the route.
      ctx.state.routePattern = `${paths.board}/*`
      await guard(ctx, () => board(ctx, next))
      return
    }
    await login(ctx, next)
  }
}

/** Pages that hold admin data or act on queues: never framed, cached or sniffed. */
function guardPages(ctx: Context, paths: AdminPaths): void {
  ctx.set('X-Frame-Options', 'DENY')
  ctx.set('Content-Security-Policy', "frame-ancestors 'none'")
  ctx.set('X-Content-Type-Options', 'nosniff')
  ctx.set('Referrer-Policy', 'same-origin')
  if (!ctx.path.startsWith(`${paths.board}/static/`)) ctx.set('Cache-Control', 'no-store')
}
