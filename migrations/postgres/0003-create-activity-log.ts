import type { Sequelize } from 'sequelize'
import type { MigrationParams } from 'umzug'

/**
 * Each user's history: entries from `activity` events on the queue (keyed by
 * their `event_id`, so a retried event is stored once) and from the API's own
 * actions (no `event_id`). Reads go newest first per user, ties broken by id.
 */
export async function up({ context: sequelize }: MigrationParams<Sequelize>): Promise<void> {
  await sequelize.query(`
    CREATE TABLE IF NOT EXISTS activity_log (
      id bigserial PRIMARY KEY,
      user_id integer NOT NULL REFERENCES users (id),
      event varchar(100) NOT NULL,
      description text NOT NULL,
      subject_type varchar(100) NULL,
      subject_id varchar(200) NULL,
      properties jsonb NOT NULL DEFAULT '{}'::jsonb,
      event_id varchar(200) NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`)
  await sequelize.query(
    'CREATE UNIQUE INDEX IF NOT EXISTS activity_log_event_id_unique ON activity_log (event_id)',
  )
  await sequelize.query(
    'CREATE INDEX IF NOT EXISTS activity_log_user_created_index ' +
      'ON activity_log (user_id, created_at DESC, id DESC)',
  )
}

export async function down({ context: sequelize }: MigrationParams<Sequelize>): Promise<void> {
  await sequelize.query('DROP TABLE IF EXISTS activity_log')
}
