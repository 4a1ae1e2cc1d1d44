import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { onSignals, runShutdown } from '../../src/shutdown.js'
import { openStores } from '../../src/stores.js'
import { startHeartbeat } from './heartbeat.js'
import { startMeteringWorker } from './worker.js'

/** The `worker` process: consumes the `metering` queue into ClickHouse. */
async function main(): Promise<void> {
  const config = loadConfig()
  const log = createLogger(config.logLevel, 'worker')
  const stores = await openStores(config, log)

  const metering = startMeteringWorker({ config, log, ...stores })
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
        ...stores.shutdownSteps(),
      ],
      log,
    )
  }, log)
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
