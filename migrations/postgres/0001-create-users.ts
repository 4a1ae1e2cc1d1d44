import type { Sequelize } from 'sequelize'
import type { MigrationParams } from 'umzug'

/**
 * E-mails are unique regardless of case among users that are not deleted:
 * an index on lower(email) works on every PostgreSQL, PGlite included,
 * without the citext extension.
 */
export async function up({ context: sequelize }: MigrationParams<Sequelize>): Promise<void> {
  await sequelize.query(`
    CREATE TABLE IF NOT EXISTS users (
      id serial PRIMARY KEY,
      ulid char(26) NOT NULL,
      name varchar(255) NOT NULL,
      email varchar(255) NOT NULL,
      password_hash varchar(255) NOT NULL,
      is_admin boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      deleted_at timestamptz NULL
    )`)
  await sequelize.query('CREATE UNIQUE INDEX IF NOT EXISTS users_ulid_unique ON users (ulid)')
  await sequelize.query(`
    CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_unique
      ON users (lower(email)) WHERE deleted_at IS NULL`)
}

export async function down({ context: sequelize }: MigrationParams<Sequelize>): Promise<void> {
  await sequelize.query('DROP TABLE IF EXISTS users')
}
