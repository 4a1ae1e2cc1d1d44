import { z } from 'zod'
import { dayParam } from '../time/day-param.js'
import { daysInRange, isUtcDay } from '../time/utc-day.js'

/** Longest range one analytics read may span, in days, both ends counted; as for usage. */
export const MAX_ANALYTICS_DAYS = 400

const positiveInteger = 'must be a positive integer'

const day = dayParam

/** Digits only, no sign, no leading zero: `1e3`, `+7` and `07` are refused, not guessed at. */
const userId = z
  .string()
  .refine((value) => /^[1-9][0-9]*$/.test(value) && Number.isSafeInteger(Number(value)), {
    message: positiveInteger,
  })
  .transform(Number)

/** The query string of `GET /api/analytics`; `from` and `to` are inclusive UTC days. */
export const analyticsQuerySchema = z
  .strictObject({ from: day, to: day, user_id: userId.optional() })
  .superRefine((query, ctx) => {
    if (!isUtcDay(query.from) || !isUtcDay(query.to)) return
    if (query.from > query.to) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' })
    } else if (daysInRange(query.from, query.to) > MAX_ANALYTICS_DAYS) {
      const message = `must be at most ${MAX_ANALYTICS_DAYS} days before to`
      ctx.addIssue({ code: 'custom', path: ['from'], message })
    }
  })

export type AnalyticsQuery = z.output<typeof analyticsQuerySchema>
