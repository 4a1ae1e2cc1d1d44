import type { Context, Next } from 'koa'
import type { User } from '../../src/accounts/models.js'
import { ForbiddenError, UnauthorizedError } from '../../src/errors.js'
import type { Database } from '../../src/postgres/database.js'
import { authenticate, requireAdmin } from '../middleware/authenticate.js'
import { isSafeMethod, isSameOrigin } from './same-origin.js'
import { type AdminSessions, SESSION_COOKIE } from './sessions.js'

/** The live user behind a session cookie, or undefined when there is none or it no longer holds. */
export async function sessionUser(
  ctx: Context,
  db: Database,
  sessions: AdminSessions,
): Promise<User | undefined> {
  const claim = sessions.read(ctx.cookies.get(SESSION_COOKIE))
  if (!claim) return undefined

  // Deleted users are not found (soft delete), and a changed password fails the stamp.
  const user = await db.User.findByPk(claim.userId)
  return user && sessions.belongsTo(claim, user) ? user : undefined
}

/**
 * Lets admins through, and no one else, to everything under it:
 * - a browser with a session cookie from `POST /admin/login`. The cookie is
 *   SameSite=Strict, and a request that changes state must also come from a
 *   page of this origin, so another site cannot act with it (CSRF);
 * - a script with an admin's ordinary bearer token, which no browser sends
 *   on its own.
 * An anonymous browser asking for a page is sent to the sign-in form; every
 * other anonymous request is 401, a non-admin 403.
 */
export function requireDashboardAdmin(
  db: Database,
  sessions: AdminSessions,
  paths: { board: string; login: string },
) {
  const bearer = authenticate(db)
  const nonPages = [`${paths.board}/api/`, `${paths.board}/static/`]

  return async function admitAdmin(ctx: Context, next: Next): Promise<void> {
    if (ctx.get('Authorization') !== '') {
      await bearer(ctx, () => requireAdmin(ctx, next))
      return
    }

    const user = await sessionUser(ctx, db, sessions)
    if (!user) {
      if (!wantsPage(ctx, nonPages)) throw new UnauthorizedError()
      ctx.redirect(`${paths.login}?next=${encodeURIComponent(ctx.originalUrl)}`)
      ctx.status = 303
      return
    }
    if (!user.is_admin) throw new ForbiddenError('Only admins may open the queue dashboard.')
    if (!isSafeMethod(ctx.method) && !isSameOrigin(ctx)) {
      throw new ForbiddenError('Cross-site requests may not change the queues.')
    }

    ctx.state.user = user
    await next()
  }
}

/** A browser navigating to a page of the dashboard, not its API or its assets. */
function wantsPage(ctx: Context, nonPages: string[]): boolean {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false
  if (nonPages.some((prefix) => ctx.path.startsWith(prefix))) return false
  return ctx.accepts('html', 'json') === 'html'
}
