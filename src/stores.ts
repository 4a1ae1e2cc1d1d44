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
export async function openStores(
  config: Config,
  log: Logger,
  options: { cacheAccounts?: boolean } = {},
): Promise<Stores> {
  const accounts = await openAccountStore(config, log, options)
  const clickhouse = openClickHouseStore(config, log)
  const queueRedis = createRedis(config.redisUrl, 'queue', log)
  const commandRedis = createRedis(config.redisUrl, 'commands', log)

  return {
    db: accounts.db,
    clickhouse,
    queueRedis,
    commandRedis,
    shutdownSteps: () => [
      {
        name: 'redis',
        run: async () => void (await Promise.all([quit(queueRedis), quit(commandRedis)])),
      },
      { name: 'clickhouse', run: () => clickhouse.close() },
      ...accounts.shutdownSteps(),
    ],
  }
}

export interface AccountStore {
  db: Database
  /** Closing steps: the connection pool, then the embedded server when this process runs it. */
  shutdownSteps(): ShutdownStep[]
}

/**
 * Opens PostgreSQL: `DATABASE_URL`, or else the embedded PGlite under
 * `dataDir`, served by this process.
 */
export async function openAccountStore(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  log: Logger,
  options: { cacheAccounts?: boolean } = {},
): Promise<AccountStore> {
  const pglite = config.databaseUrl
    ? undefined
    : await startPgliteServer({ dataDir: config.dataDir, log })
  const databaseUrl = config.databaseUrl ?? (pglite as { url: string }).url
  log.info({ database: maskUrl(databaseUrl), embedded: !config.databaseUrl }, 'postgres')

  let db: Database
  try {
    db = await openDatabase(databaseUrl, log, options)
  } catch (err) {
    await pglite?.close()
    throw err
  }
  return {
    db,
    shutdownSteps: () => [
      { name: 'postgres', run: () => db.close() },
      ...(pglite ? [{ name: 'pglite', run: () => pglite.close() }] : []),
    ],
  }
}

/**
 * Opens ClickHouse: `CLICKHOUSE_URL`, or else the embedded chDB under
 * `dataDir`. Migrations pass `forDdl`: on a cluster, DDL waits for every node.
 */
export function openClickHouseStore(
  config: Pick<
    Config,
    'clickhouseUrl' | 'dataDir' | 'clickhouseDatabase' | 'clickhouseTimeoutMs' | 'clickhouseCluster'
  >,
  log: Logger,
  options: { forDdl?: boolean } = {},
): ClickHouse {
  const clickhouse = openClickHouse({
    url: config.clickhouseUrl,
    dataDir: config.dataDir,
    database: config.clickhouseDatabase,
    cluster: config.clickhouseCluster,
    requestTimeoutMs: options.forDdl ? ddlTimeoutMs(config) : config.clickhouseTimeoutMs,
    log,
  })
  log.info({ clickhouse: maskUrl(config.clickhouseUrl) ?? 'embedded chDB' }, 'clickhouse')
  return clickhouse
}

async function quit(redis: Redis): Promise<void> {
  try {
    await redis.quit()
  } catch {
    redis.disconnect()
  }
}

/**
 * `ON CLUSTER` DDL waits for every node, up to the servers' own 180 s
 * (distributed_ddl_task_timeout); the client must outwait it to hear why.
 */
function ddlTimeoutMs(config: Pick<Config, 'clickhouseCluster' | 'clickhouseTimeoutMs'>): number {
  return config.clickhouseCluster
    ? Math.max(config.clickhouseTimeoutMs, 200_000)
    : config.clickhouseTimeoutMs
}
