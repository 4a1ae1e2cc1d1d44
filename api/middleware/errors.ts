import type { Context, Next } from 'koa'
import { AppError, ConflictError, ValidationError } from '../../src/errors.js'
import type { Logger } from '../../src/logger.js'
import { isStoreUnavailable } from '../../src/store-errors.js'

/** Errors thrown by Koa's own parts (body parser, `ctx.throw`) carry a status. */
function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const status = (err as { status?: unknown; statusCode?: unknown }).status
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined
}

const clientMessages: Record<number, string> = {
  400: 'The request body is not valid JSON.',
  413: 'The request body is too large.',
  415: 'Unsupported content type or encoding: send application/json, plain or gzip.',
}

/**
 * The one place where failures become responses. Typed errors and 4xx errors
 * from Koa's parts show their message; everything else answers
 * `{"message":"Server Error"}` and its detail goes to the log with the request id.
 */
export function errorHandler(log: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next()
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404
        ctx.body = { message: 'Not found.' }
      }
    } catch (err) {
      respond(ctx, err, log)
    }
  }
}

function respond(ctx: Context, err: unknown, log: Logger): void {
  if (err instanceof ValidationError) {
    ctx.status = 422
    ctx.body = { message: err.message, errors: err.errors }
    return
  }

  if (err instanceof AppError && err.expose) {
    ctx.status = err.status
    ctx.body =
      err instanceof ConflictError && err.errors
        ? { message: err.message, errors: err.errors }
        : { message: err.message }
    if (err.status === 503) ctx.set('Retry-After', '5')
    // RFC 9110: a 401 names the scheme the client should use.
    if (err.status === 401) ctx.set('WWW-Authenticate', 'Bearer')
    if (err.status >= 500) log.warn({ err, request_id: ctx.state.requestId }, 'store unavailable')
    return
  }

  if (isStoreUnavailable(err)) {
    log.warn({ err, request_id: ctx.state.requestId, path: ctx.path }, 'store unavailable')
    ctx.status = 503
    ctx.set('Retry-After', '5')
    ctx.body = { message: 'Service Unavailable' }
    return
  }

  const status = err instanceof AppError ? err.status : httpStatusOf(err)
  if (status !== undefined && status < 500) {
    ctx.status = status
    ctx.body = { message: clientMessages[status] ?? 'Bad request.' }
    return
  }

  log.error({ err, request_id: ctx.state.requestId, path: ctx.path }, 'request failed')
  ctx.status = status ?? 500
  ctx.body = { message: 'Server Error' }
}
