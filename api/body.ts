import { bodyParser } from '@koa/bodyparser'
import type { Context, Next } from 'koa'
import type { z } from 'zod'
import { BadRequestError, UnsupportedMediaTypeError, ValidationError } from '../src/errors.js'
import { fieldErrors } from '../src/validation.js'

type Reader = () => Promise<unknown>

/**
 * Makes the JSON body readable on demand instead of parsing it for every
 * request: a route reads it only after authentication and its own checks, so
 * a caller who may not use a route hears 401 or 403 whatever the body holds,
 * and a body is never parsed for nothing.
 */
export function jsonBodyOnDemand(limit: string) {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: limit,
    // Any JSON parses; a value that is not an object is then refused by the
    // route's schema with a 422 that names it, not a bare 400.
    jsonStrict: false,
  })

  return async function offerJsonBody(ctx: Context, next: Next): Promise<void> {
    let parsed: Promise<unknown> | undefined
    const read: Reader = () => {
      // A body of another type would be skipped by the parser and read as
      // absent, turning a client's mistake into a list of missing fields.
      if (ctx.request.length !== undefined || ctx.get('Transfer-Encoding')) {
        if (ctx.request.length !== 0 && !ctx.is('application/json', '+json')) {
          throw new UnsupportedMediaTypeError()
        }
      }
      parsed ??= parse(ctx, async () => undefined).then(
        () => (ctx.request as { body?: unknown }).body,
        (err: unknown) => {
          throw isDecodeError(err)
            ? new BadRequestError('The request body could not be decompressed.')
            : err
        },
      )
      return parsed
    }
    ctx.state.readJsonBody = read
    await next()
  }
}

/**
 * zlib's `Z_…` codes and brotli's `ERR__ERROR_…` ones: the body is not what
 * its Content-Encoding says, and the decoder's error carries no HTTP status.
 */
function isDecodeError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^(Z_|ERR__ERROR_|ERR_BROTLI)/.test(code)
}

/** The request's JSON body (`undefined` when there is none). */
export function readJsonBody(ctx: Context): Promise<unknown> {
  const read = ctx.state.readJsonBody as Reader | undefined
  if (!read) throw new Error('jsonBodyOnDemand is not installed')
  return read()
}

/** Reads the JSON body and checks it with one schema, reporting every problem at once. */
export async function parseBody<T extends z.ZodType>(
  schema: T,
  ctx: Context,
): Promise<z.output<T>> {
  const parsed = schema.safeParse(await readJsonBody(ctx))
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error))
  return parsed.data
}
