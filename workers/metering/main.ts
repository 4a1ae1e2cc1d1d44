import type { Registry } from 'prom-client'
import { loadConfig } from '../../src/config.js'
import { createLogger, type Logger } from '../../src/logger.js'
import { pinDedupHorizon } from '../../src/metering/dedup-store.js'
import { dedupKeyBase } from '../../src/metering/queues.js'
import { type MetricsServer, startMetricsServer } from '../../src/metrics/metrics-server.js'
import { createProcessRegistry } from '../../src/metrics/registry.js'
import { checkSelectedDatabase } from '../../src/redis.js'
import { onSignals, runShutdown } from '../../src/shutdown.js'
import { openStores } from '../../src/stores.js'
import { startHeartbeat } from './heartbeat.js'
import { startMeteringWorker } from './worker.js'

/** The `worker` process: consumes the `metering` queue into ClickHouse. */
async function main(): Promise<void> {
  const config = loadConfig()
  const log = createLogger(config.logLevel, 'worker')
  // The worker reads no accounts through the cache (UserDirectory keeps its own).
  const stores = await openStores(config, log, { cacheAccounts: false })
  await checkSelectedDatabase(stores.commandRedis)
  await pinDedupHorizon(
    stores.commandRedis,
    dedupKeyBase(config.queuePrefix),
    config.worker.dedupHorizonSeconds,
  )

  const metrics = createProcessRegistry()
  const metering = startMeteringWorker({ config, log, ...stores, metrics })
  const metricsServer = await serveMetrics(config.metrics, metrics, log)
  log.info(
    { concurrency: config.worker.concurrency, batch_size: config.worker.flushBatchSize },
    'consuming',
  )

  // For a container health check: the worker serves no port to ask.
  const healthFile = config.worker.healthFile
  const heartbeat = healthFile
    ? startHeartbeat({
        file: healthFile,
        intervalMs: 5_000,
        alive: async () => {
          if (!metering.worker.isRunning()) return false
          await Promise.all([stores.queueRedis.ping(), stores.commandRedis.ping()])
          return true
        },
        log,
      })
    : undefined

  onSignals(async () => {
    heartbeat?.stop()
    await runShutdown(
      [
        { name: 'worker', run: () => metering.close(), timeoutMs: 30_000 },
        { name: 'metrics', run: async () => metricsServer?.close() },
        ...stores.shutdownSteps(),
      ],
      log,
    )
  }, log)
}

/**
 * The worker's own `/metrics`. A port that cannot be bound is logged, not
 * fatal: metering goes on, and the scraper reports the target down.
 */
async function serveMetrics(
  listen: { port: number; host: string },
  registry: Registry,
  log: Logger,
): Promise<MetricsServer | undefined> {
  if (listen.port === 0) return undefined
  try {
    const server = await startMetricsServer(registry, listen, log)
    log.info({ port: server.port, host: listen.host }, 'metrics listening')
    return server
  } catch (err) {
    log.error({ err, port: listen.port, host: listen.host }, 'metrics port unavailable')
    return undefined
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
