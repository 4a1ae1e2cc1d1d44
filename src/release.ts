import { ensureAdmin } from './accounts/bootstrap.js'
import { openClickHouse } from './clickhouse/client.js'
import { migrateClickHouse } from './clickhouse/migrate.js'
import { type Config, loadConfig } from './config.js'
import { createLogger } from './logger.js'
import { openDatabase } from './postgres/database.js'
import { migratePostgres } from './postgres/migrate.js'
import { startPgliteServer } from './postgres/pglite-server.js'

/**
 * The `release` process: migrates PostgreSQL and ClickHouse, then makes sure
 * the bootstrap admin exists. Safe to run on every deploy; it exits when done.
 */
async function main(): Promise<void> {
  const config = loadConfig()
  const log = createLogger(config.logLevel, 'release')

  const pglite = config.databaseUrl
    ? undefined
    : await startPgliteServer({ dataDir: config.dataDir, log })
  const db = await openDatabase(config.databaseUrl ?? (pglite as { url: string }).url, log)
  const clickhouse = openClickHouse({
    url: config.clickhouseUrl,
    dataDir: config.dataDir,
    database: config.clickhouseDatabase,
    cluster: config.clickhouseCluster,
    requestTimeoutMs: ddlTimeoutMs(config),
    log,
  })

  try {
    const postgres = await migratePostgres(db, log)
    const analytics = await migrateClickHouse(clickhouse, log)
    log.info({ postgres, clickhouse: analytics }, 'migrations applied')
    if (config.admin) await ensureAdmin(db, config.admin, log)
  } finally {
    await clickhouse.close()
    await db.close()
    await pglite?.close()
  }
}

/**
 * `ON CLUSTER` DDL answers once every node has applied it, or fails after the
 * servers' `distributed_ddl_task_timeout` (180 s by default): wait past that,
 * so the server reports which nodes lag instead of the client giving up first.
 */
function ddlTimeoutMs(config: Config): number {
  return config.clickhouseCluster
    ? Math.max(config.clickhouseTimeoutMs, 200_000)
    : config.clickhouseTimeoutMs
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err)
  process.exit(1)
})
