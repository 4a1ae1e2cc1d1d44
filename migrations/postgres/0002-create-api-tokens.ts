import type { Sequelize } from 'sequelize'
import type { MigrationParams } from 'umzug'

/** Tokens are looked up by the hash of their secret, so that column is unique. */
export async function up({ context: sequelize }: MigrationParams<Sequelize>): Promise<void> {
  await sequelize.query(`
    CREATE TABLE IF NOT EXISTS api_tokens (
      id serial PRIMARY KEY,
      user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      name varchar(255) NOT NULL,
      token_hash char(64) NOT NULL,
      abilities jsonb NULL,
      last_used_at timestamptz NULL,
      revoked_at timestamptz NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`)
  await sequelize.query(
    'CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_token_hash_unique ON api_tokens (token_hash)',
  )
  await sequelize.query(
    'CREATE INDEX IF NOT EXISTS api_tokens_user_id_index ON api_tokens (user_id)',
  )
}

export async function down({ context: sequelize }: MigrationParams<Sequelize>): Promise<void> {
  await sequelize.query('DROP TABLE IF EXISTS api_tokens')
}
