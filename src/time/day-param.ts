import { z } from 'zod'
import { daysInRange, FIRST_STORED_DAY, isUtcDay, LAST_STORED_DAY } from './utc-day.js'

/**
 * A day given in a query: a real date written YYYY-MM-DD, within the days the
 * stores hold. ClickHouse would clamp a day beyond them to the nearest end and
 * answer for a day that was never asked about.
 */
export const dayParam = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .refine(isUtcDay, 'must be a real date written YYYY-MM-DD')
  .refine(
    (day) => !isUtcDay(day) || (day >= FIRST_STORED_DAY && day <= LAST_STORED_DAY),
    `must be from ${FIRST_STORED_DAY} to ${LAST_STORED_DAY}`,
  )

/**
 * The rule between `from` and `to`, for a schema's `superRefine`: `from` not
 * after `to`, and the range at most `maxDays` long when there is a limit.
 * Reported on `from`, and only once both are real days.
 */
export function checkDayRange(maxDays?: number) {
  return (range: { from?: string; to?: string }, ctx: z.RefinementCtx): void => {
    const { from, to } = range
    if (from === undefined || to === undefined || !isUtcDay(from) || !isUtcDay(to)) return
    if (from > to) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' })
    } else if (maxDays !== undefined && daysInRange(from, to) > maxDays) {
      const message = `must be at most ${maxDays} days before to`
      ctx.addIssue({ code: 'custom', path: ['from'], message })
    }
  }
}
