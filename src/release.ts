import { ensureAdmin } from './accounts/bootstrap.js'
import { loadConfig } from './config.js'
import { createLogger } from './logger.js'
import { migrateStores } from './migrate-stores.js'
import { runShutdown } from './shutdown.js'
import { openAccountStore, openClickHouseStore } from './stores.js'

/**
 * The `release` process: migrates PostgreSQL and ClickHouse, then makes sure
 * the bootstrap admin exists. Safe to run on every deploy; it exits when done.
 */
async function main(): Promise<void> {
  const config = loadConfig()
  const log = createLogger(config.logLevel, 'release')

  const accounts = await openAccountStore(config, log, { cacheAccounts: false })
  const clickhouse = openClickHouseStore(config, log, { forDdl: true })
  try {
    await migrateStores({ db: accounts.db, clickhouse }, log)
    if (config.admin) await ensureAdmin(accounts.db, config.admin, log)
  } finally {
    const closed = await runShutdown(
      [{ name: 'clickhouse', run: () => clickhouse.close() }, ...accounts.shutdownSteps()],
      log,
    )
    if (!closed) process.exitCode = 1
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err)
  process.exit(1)
})
