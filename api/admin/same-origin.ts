import type { Context } from 'koa'

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Requests that change nothing, which a cross-site page may cause without harm. */
export function isSafeMethod(method: string): boolean {
  return safeMethods.has(method)
}

/**
 * True when the browser says the request comes from a page of this very
 * origin. Browsers send `Origin` with every request that may change state
 * (forms and fetch alike) and `Sec-Fetch-Site` with most; a request that
 * carries neither is not one a cookie should be trusted for. The origin is
 * the one the client sees: behind a proxy, Koa reads it from
 * `X-Forwarded-Proto` and `X-Forwarded-Host`.
 */
export function isSameOrigin(ctx: Context): boolean {
  // Koa's own `ctx.origin` is the Origin header itself; ours is built from the request.
  const origin = ctx.get('Origin')
  if (origin !== '') return origin === `${ctx.protocol}://${ctx.host}`
  return ctx.get('Sec-Fetch-Site') === 'same-origin'
}
