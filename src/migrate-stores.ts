import type { ClickHouse } from './clickhouse/client.js'
import { migrateClickHouse } from './clickhouse/migrate.js'
import type { Logger } from './logger.js'
import type { Database } from './postgres/database.js'
import { migratePostgres } from './postgres/migrate.js'

/** The migrations a run applied, by store; empty when both were up to date. */
export interface AppliedMigrations {
  postgres: string[]
  clickhouse: string[]
}

/**
 * Applies the pending migrations of both stores, PostgreSQL first. Each store
 * records what it applied, so running this on every deploy is safe.
 */
export async function migrateStores(
  stores: { db: Database; clickhouse: ClickHouse },
  log: Logger,
): Promise<AppliedMigrations> {
  const postgres = await migratePostgres(stores.db, log)
  const clickhouse = await migrateClickHouse(stores.clickhouse, log)
  log.info({ postgres, clickhouse }, 'migrations applied')
  return { postgres, clickhouse }
}
