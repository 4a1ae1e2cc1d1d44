import type { Context } from 'koa'
import type { z } from 'zod'
import { ValidationError } from '../src/errors.js'
import { fieldErrors } from '../src/validation.js'

/**
 * Parses the JSON body with one schema and reports every problem at once. A
 * body that is missing or not an object is refused by the schema itself.
 */
export function parseBody<T extends z.ZodType>(schema: T, ctx: Context): z.output<T> {
  const parsed = schema.safeParse((ctx.request as { body?: unknown }).body)
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error))
  return parsed.data
}
