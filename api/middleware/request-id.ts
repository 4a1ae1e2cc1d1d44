import { randomUUID } from 'node:crypto'
import type { Context, Next } from 'koa'

const acceptable = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Tags each request with an id, taken from the caller's `X-Request-Id` when it
 * is a sane token (so a trace can cross services), otherwise a fresh UUID.
 */
export async function requestId(ctx: Context, next: Next): Promise<void> {
  const incoming = ctx.get('X-Request-Id')
  const id = acceptable.test(incoming) ? incoming : randomUUID()
  ctx.state.requestId = id
  ctx.set('X-Request-Id', id)
  await next()
}
