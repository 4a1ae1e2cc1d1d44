import { z } from 'zod'
import { FIRST_STORED_DAY, isUtcDay, LAST_STORED_DAY } from './utc-day.js'

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
