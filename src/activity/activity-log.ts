import { QueryTypes, type Transaction } from 'sequelize'
import type { Database } from '../postgres/database.js'

/** What happened, to whom and by whom: one row of a user's history. */
export interface NewActivityEntry {
  /** The acting user, who owns the entry and sees it in their log. */
  user_id: number
  /** A short dotted name such as `user.created`. */
  event: string
  description: string
  subject_type?: string | null
  subject_id?: string | number | null
  /** Never secrets: name a changed password, do not show it. */
  properties?: Record<string, unknown>
  /** When it happened; the database's clock when left out. */
  created_at?: Date
}

/** One entry as the API shows it. */
export interface ActivityEntryJson {
  id: number
  event: string
  description: string
  subject_type: string | null
  subject_id: string | null
  properties: Record<string, unknown>
  created_at: string
}

/** A row read back from `activity_log`: the entry with its timestamp not yet written out. */
export interface ActivityRow extends Omit<ActivityEntryJson, 'created_at'> {
  created_at: Date
}

/**
 * Records an entry and returns its id. Pass the transaction of the action it
 * describes, so the entry exists exactly when the action does.
 */
export async function addActivityEntry(
  db: Database,
  entry: NewActivityEntry,
  options: { transaction?: Transaction } = {},
): Promise<number> {
  const rows = await db.sequelize.query<{ id: number }>(
    `INSERT INTO activity_log
       (user_id, event, description, subject_type, subject_id, properties, created_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, COALESCE($7::timestamptz, now()))
     RETURNING id`,
    {
      bind: [
        entry.user_id,
        entry.event,
        entry.description,
        entry.subject_type ?? null,
        entry.subject_id === undefined || entry.subject_id === null
          ? null
          : String(entry.subject_id),
        JSON.stringify(entry.properties ?? {}),
        entry.created_at?.toISOString() ?? null,
      ],
      type: QueryTypes.SELECT,
      transaction: options.transaction,
    },
  )
  const [row] = rows
  if (!row) throw new Error('activity_log insert returned no id')
  return row.id
}

export function toActivityJson(row: ActivityRow): ActivityEntryJson {
  return {
    id: row.id,
    event: row.event,
    description: row.description,
    subject_type: row.subject_type,
    subject_id: row.subject_id,
    properties: row.properties,
    created_at: row.created_at.toISOString(),
  }
}
