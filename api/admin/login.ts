import { bodyParser } from '@koa/bodyparser'
import { Router } from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import { ValidationError } from '../../src/errors.js'
import type { Database } from '../../src/postgres/database.js'
import { checkCredentials } from '../routes/auth.js'
import { renderLoginPage } from './login-page.js'
import { isSameOrigin } from './same-origin.js'
import { type AdminSessions, SESSION_COOKIE, SESSION_PATH } from './sessions.js'

export interface AdminPaths {
  /** Where the dashboard is mounted, and where a sign-in goes by default. */
  board: string
  login: string
  logout: string
}

const loginForm = z.object({
  email: z.string().trim().max(255).default(''),
  password: z.string().max(200).default(''),
  next: z.string().max(2_000).optional(),
})

/** The sign-in page shows only its own form and inline style; it may not be framed. */
const loginPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'"

/**
 * Signing in to the queue dashboard from a browser: a form that trades an
 * admin's e-mail and password for a session cookie, and signing out.
 */
export function loginRoutes(db: Database, sessions: AdminSessions, paths: AdminPaths): Router {
  const router = new Router()
  const readForm = bodyParser({ enableTypes: ['form'], formLimit: '8kb' })
  // Only a path inside the dashboard, so the form can never send anyone elsewhere.
  const safeNext = (next: string | undefined) =>
    next !== undefined && /^\/admin\/queues(?:[/?][^\\\s]*)?$/.test(next) && !next.includes('//')
      ? next
      : paths.board
  const page = (ctx: Context, status: number, next: string, extra = {}) => {
    ctx.status = status
    ctx.type = 'html'
    ctx.set('Content-Security-Policy', loginPolicy)
    ctx.body = renderLoginPage({ action: paths.login, next, ...extra })
  }

  router.get(paths.login, (ctx) => {
    const next = typeof ctx.query.next === 'string' ? ctx.query.next : undefined
    page(ctx, 200, safeNext(next))
  })

  router.post(paths.login, readForm, async (ctx) => {
    // A sign-in posted by another site would log the browser into that site's choice.
    if (!isSameOrigin(ctx)) {
      return page(ctx, 403, paths.board, { problem: 'Sign in from this page.' })
    }
    const form = loginForm.safeParse(ctx.request.body ?? {})
    const input = form.success ? form.data : { email: '', password: '', next: undefined }
    const next = safeNext(input.next)

    try {
      const user = await checkCredentials(db, input.email, input.password)
      if (!user.is_admin) {
        return page(ctx, 403, next, {
          email: input.email,
          problem: 'Only admins may open the queue dashboard.',
        })
      }
      setSessionCookie(ctx, sessions.issue(user), sessions.ttlMs)
      ctx.redirect(next)
      ctx.status = 303
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      page(ctx, 422, next, { email: input.email, problem: err.message })
    }
  })

  // Signing out only forgets the cookie in this browser, so a link will do.
  const signOut = (ctx: Context) => {
    setSessionCookie(ctx, null, 0)
    ctx.redirect(paths.login)
    ctx.status = 303
  }
  router.get(paths.logout, signOut)
  router.post(paths.logout, signOut)

  return router
}

/**
 * HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
 * it), Secure whenever the client reached us over https, and only under `/admin`.
 */
function setSessionCookie(ctx: Context, value: string | null, maxAgeMs: number): void {
  ctx.cookies.set(SESSION_COOKIE, value, {
    path: SESSION_PATH,
    httpOnly: true,
    sameSite: 'strict',
    secure: ctx.secure,
    overwrite: true,
    ...(value === null ? {} : { maxAge: maxAgeMs }),
  })
}
