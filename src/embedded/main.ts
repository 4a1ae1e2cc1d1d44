import { startChdbHttpServer } from '../clickhouse/chdb-http-server.js'
import { loadConfig } from '../config.js'
import { createLogger } from '../logger.js'
import { startPgliteServer } from '../postgres/pglite-server.js'
import { onSignals, runShutdown } from '../shutdown.js'
import type { EmbeddedUrls } from './urls-file.js'

/**
 * Serves the embedded stores to the other processes of one machine: PGlite
 * over the PostgreSQL protocol and chDB over ClickHouse's HTTP interface, each
 * only when its URL is not configured. Both lock their data directory to one
 * process, which is why they live here and not in `web` or `worker`.
 */
async function main(): Promise<void> {
  const config = loadConfig()
  const log = createLogger(config.logLevel, 'embedded')

  const postgres = config.databaseUrl
    ? undefined
    : await startPgliteServer({ dataDir: config.dataDir, log })
  const clickhouse = config.clickhouseUrl
    ? undefined
    : await startChdbHttpServer({ dataDir: config.dataDir, log })

  const urls: EmbeddedUrls = { databaseUrl: postgres?.url, clickhouseUrl: clickhouse?.url }
  process.send?.({ ready: urls })

  onSignals(
    async () => {
      await runShutdown(
        [
          ...(clickhouse ? [{ name: 'chdb', run: () => clickhouse.close() }] : []),
          ...(postgres ? [{ name: 'pglite', run: () => postgres.close() }] : []),
        ],
        log,
      )
    },
    log,
    { parentGoneDelayMs: 12_000 },
  )
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err)
  process.exit(1)
})
