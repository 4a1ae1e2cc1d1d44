import { z } from 'zod'
import { checkDayRange, dayParam } from '../time/day-param.js'

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
  .superRefine(checkDayRange(MAX_ANALYTICS_DAYS))

export type AnalyticsQuery = z.output<typeof analyticsQuerySchema>
