import { z } from 'zod'

/** The most rows one page may hold. */
export const MAX_PER_PAGE = 100

/** Rows per page when the caller does not say. */
export const DEFAULT_PER_PAGE = 15

// Digits only, no sign, exponent or leading zero: `1e9`, `-1`, `10abc` and
// `0` are refused rather than read as something the caller did not write.
const wholeNumber = z
  .string()
  .regex(/^[1-9]\d{0,8}$/, 'must be a whole number of at least 1')
  .transform(Number)

/**
 * The `page` and `per_page` query parameters, to spread into a list's own
 * query schema so one parse reports every problem.
 */
export const pageParams = {
  page: wholeNumber.default(1),
  per_page: wholeNumber
    .pipe(z.number().max(MAX_PER_PAGE, `must be at most ${MAX_PER_PAGE}`))
    .default(DEFAULT_PER_PAGE),
}

/** The query schema of a list that takes nothing but a page. */
export const pageQuerySchema = z.strictObject(pageParams)

export interface Page {
  page: number
  per_page: number
}

export interface PageMeta {
  current_page: number
  last_page: number
  per_page: number
  total: number
}

/** The rows to skip and take for a page. */
export function pageWindow(page: Page): { offset: number; limit: number } {
  return { offset: (page.page - 1) * page.per_page, limit: page.per_page }
}

/** The `meta` of a list response; an empty list still has one (empty) page. */
export function pageMeta(page: Page, total: number): PageMeta {
  return {
    current_page: page.page,
    last_page: Math.max(1, Math.ceil(total / page.per_page)),
    per_page: page.per_page,
    total,
  }
}
