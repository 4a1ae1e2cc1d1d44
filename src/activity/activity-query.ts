import { QueryTypes } from 'sequelize'
import { z } from 'zod'
import type { Database } from '../postgres/database.js'
import { checkDayRange, dayParam } from '../time/day-param.js'
import type { ActivityRow } from './activity-log.js'

const day = dayParam

/**
 * The filters of a history read, to spread into the API's query schema next
 * to the page parameters. `from` and `to` are inclusive UTC days.
 */
export const activityFilterParams = {
  event: z
    .string()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .optional(),
  from: day.optional(),
  to: day.optional(),
}

export interface ActivityFilters {
  event?: string
  from?: string
  to?: string
}

/** The cross-field rule of the filters, for the schema's `superRefine`. */
export const checkActivityDays = checkDayRange()

export interface ActivityPage {
  rows: ActivityRow[]
  total: number
}

/** The first instant after the UTC day `day`. */
function dayAfter(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString()
}

/**
 * One page of a user's history, newest first. Entries written in one
 * transaction share their timestamp, so the id breaks ties and pages never
 * repeat or skip an entry.
 */
export async function readActivity(
  db: Database,
  userId: number,
  filters: ActivityFilters,
  window: { offset: number; limit: number },
): Promise<ActivityPage> {
  const conditions = ['user_id = $1']
  const bind: unknown[] = [userId]
  if (filters.event !== undefined) {
    bind.push(filters.event)
    conditions.push(`event = $${bind.length}`)
  }
  if (filters.from !== undefined) {
    bind.push(`${filters.from}T00:00:00.000Z`)
    conditions.push(`created_at >= $${bind.length}::timestamptz`)
  }
  if (filters.to !== undefined) {
    bind.push(dayAfter(filters.to))
    conditions.push(`created_at < $${bind.length}::timestamptz`)
  }
  const where = conditions.join(' AND ')

  const [counted] = await db.sequelize.query<{ total: number }>(
    `SELECT count(*) AS total FROM activity_log WHERE ${where}`,
    { bind, type: QueryTypes.SELECT },
  )
  const rows = await db.sequelize.query<ActivityRow>(
    `SELECT id, event, description, subject_type, subject_id, properties, created_at
     FROM activity_log
     WHERE ${where}
     ORDER BY created_at DESC, id DESC
     LIMIT $${bind.length + 1} OFFSET $${bind.length + 2}`,
    { bind: [...bind, window.limit, window.offset], type: QueryTypes.SELECT },
  )
  return { rows, total: counted?.total ?? 0 }
}
