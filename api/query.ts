import type { z } from 'zod'
import { ValidationError } from '../src/errors.js'
import { type FieldErrors, fieldErrors } from '../src/validation.js'

type RawQuery = Record<string, string | string[] | undefined>

/**
 * Parses a query string with one schema. A parameter given twice is refused
 * rather than guessed at (`?metric=a&metric=b` arrives as an array), and every
 * problem is reported at once.
 */
export function parseQuery<T extends z.ZodType>(schema: T, query: RawQuery): z.output<T> {
  const errors: FieldErrors = {}
  const single: Record<string, string> = {}
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) errors[key] = ['must be given only once']
    else if (value !== undefined) single[key] = value
  }

  const parsed = schema.safeParse(single)
  if (parsed.success && Object.keys(errors).length === 0) return parsed.data

  const merged = parsed.success ? errors : { ...fieldErrors(parsed.error), ...errors }
  throw new ValidationError(merged)
}
