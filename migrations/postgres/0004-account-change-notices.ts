import type { Sequelize } from 'sequelize'
import type { MigrationParams } from 'umzug'

/**
 * Every process may keep users and live tokens in memory; these triggers tell
 * them all when one changes, whoever changes it (the API, the command line,
 * an operator's SQL). A token's `last_used_at` is left out: it changes once a
 * minute per busy token and alters no answer.
 */
export async function up({ context: sequelize }: MigrationParams<Sequelize>): Promise<void> {
  await sequelize.query(`
    CREATE OR REPLACE FUNCTION notify_account_change() RETURNS trigger AS $$
    BEGIN
      PERFORM pg_notify('account_changes', TG_TABLE_NAME);
      RETURN NULL;
    END
    $$ LANGUAGE plpgsql`)
  await sequelize.query('DROP TRIGGER IF EXISTS users_changed ON users')
  await sequelize.query(`
    CREATE TRIGGER users_changed AFTER UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_account_change()`)
  await sequelize.query('DROP TRIGGER IF EXISTS api_tokens_changed ON api_tokens')
  await sequelize.query(`
    CREATE TRIGGER api_tokens_changed
    AFTER UPDATE OF user_id, token_hash, abilities, revoked_at OR DELETE OR TRUNCATE
    ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION notify_account_change()`)
}

export async function down({ context: sequelize }: MigrationParams<Sequelize>): Promise<void> {
  await sequelize.query('DROP TRIGGER IF EXISTS api_tokens_changed ON api_tokens')
  await sequelize.query('DROP TRIGGER IF EXISTS users_changed ON users')
  await sequelize.query('DROP FUNCTION IF EXISTS notify_account_change()')
}
