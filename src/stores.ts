import path from 'node:path'
import type { Redis } from 'ioredis'
import { type ClickHouse, openClickHouse } from './clickhouse/client.js'
import type { Config } from './config.js'
import { type Logger, maskUrl } from './logger.js'
import { type Database, openDatabase } from './postgres/database.js'
import { startPgliteServer } from './postgres/pglite-server.js'
import { createRedis } from './redis.js'
import type { ShutdownStep } from './shutdown.js'

export interface Stores {
  db: Database
  clickhouse: ClickHouse
  /** For BullMQ: blocking commands, waits through reconnects. */
  queueRedis: Redis
  /** For the meter's own commands: a few retries, then an error. */
  commandRedis: Redis
  /** Closing steps, in reverse order of opening. */
  shutdownSteps(): ShutdownStep[]
}

/**
 * Opens the three stores from the configuration. Without `DATABASE_URL` this
 * process serves the embedded PostgreSQL (PGlite) itself, and without
 * `CLICKHOUSE_URL` it runs the embedded ClickHouse (chDB) in-process: both
 * lock their data directory, so only one process may do so. The dev command
 * runs them in a process of their own and hands out their URLs instead.
 */
export async function openStores(config: Config, log: Logger): Promise<Stores> {
  const pglite = config.databaseUrl
    ? undefined
    : await startPgliteServer({ dataDir: path.join(config.dataDir), log })
  const databaseUrl = config.databaseUrl ?? (pglite as { url: string }).url
  log.info({ database: maskUrl(databaseUrl), embedded: !config.databaseUrl }, 'postgres')
  const db = await openDatabase(databaseUrl, log)

  const clickhouse = openClickHouse({
    url: config.clickhouseUrl,
    dataDir: config.dataDir,
    database: config.clickhouseDatabase,
    cluster: config.clickhouseCluster,
    requestTimeoutMs: config.clickhouseTimeoutMs,
    log,
  })
  log.info({ clickhouse: maskUrl(config.clickhouseUrl) ?? 'embedded chDB' }, 'clickhouse')

  const queueRedis = createRedis(config.redisUrl, 'queue', log)
  const commandRedis = createRedis(config.redisUrl, 'commands', log)

  return {
    db,
    clickhouse,
    queueRedis,
    commandRedis,
    shutdownSteps: () => [
      {
        name: 'redis',
        run: async () => void (await Promise.all([quit(queueRedis), quit(commandRedis)])),
      },
      { name: 'clickhouse', run: () => clickhouse.close() },
      { name: 'postgres', run: () => db.close() },
      ...(pglite ? [{ name: 'pglite', run: () => pglite.close() }] : []),
    ],
  }
}

async function quit(redis: Redis): Promise<void> {
  try {
    await redis.quit()
  } catch {
    redis.disconnect()
  }
}
