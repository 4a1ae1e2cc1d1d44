import type { ActivityRecord } from '../../src/metering/event-schema.js'
import type { Database } from '../../src/postgres/database.js'

/** Rows per statement, far below PostgreSQL's 65,535 bound parameters. */
const rowsPerStatement = 500
const columns = [
  'user_id',
  'event',
  'description',
  'subject_type',
  'subject_id',
  'properties',
  'event_id',
  'created_at',
]

/**
 * Writes `activity` events into the owners' activity logs. The unique index on
 * `event_id` makes a retried or adopted batch store each entry once.
 */
export async function insertActivity(db: Database, records: readonly ActivityRecord[]) {
  for (let start = 0; start < records.length; start += rowsPerStatement) {
    const chunk = records.slice(start, start + rowsPerStatement)
    const bind: unknown[] = []
    const tuples = chunk.map((record) => {
      const first = bind.length
      bind.push(
        record.userId,
        record.event,
        record.description,
        record.subjectType,
        record.subjectId,
        JSON.stringify(record.properties),
        record.eventId,
        new Date(record.occurredAt).toISOString(),
      )
      return `(${columns.map((_, i) => `$${first + i + 1}`).join(', ')})`
    })

    await db.sequelize.query(
      `INSERT INTO activity_log (${columns.join(', ')}) VALUES ${tuples.join(', ')} ` +
        'ON CONFLICT (event_id) DO NOTHING',
      { bind },
    )
  }
}
