import { once } from 'node:events'
import { createServer } from 'node:http'
import { ensureAdmin } from '../src/accounts/bootstrap.js'
import { loadConfig } from '../src/config.js'
import { LazyEventQueue } from '../src/ingest/lazy-producer.js'
import { createLogger } from '../src/logger.js'
import { watchQueues } from '../src/metering/watched-queues.js'
import { createProcessRegistry } from '../src/metrics/registry.js'
import { onSignals, runShutdown } from '../src/shutdown.js'
import { openStores } from '../src/stores.js'
import { createApp } from './app.js'
import { trackHttpRequests } from './http-drain.js'

/** The `web` process: the HTTP API. */
async function main(): Promise<void> {
  const config = loadConfig()
  const log = createLogger(config.logLevel, 'web')
  const stores = await openStores(config, log)
  if (config.admin) await ensureAdmin(stores.db, config.admin, log)

  const events = new LazyEventQueue({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    log: log.child({ part: 'producer' }),
  })
  const queues = watchQueues(stores.commandRedis, config.queuePrefix, log)
  const app = createApp({
    config,
    log,
    db: stores.db,
    clickhouse: stores.clickhouse,
    events,
    redis: stores.commandRedis,
    queues,
    metrics: createProcessRegistry(),
  })
  // Followed before Koa sees a request, so a drain can mark every response.
  const server = createServer()
  const http = trackHttpRequests(server, log.child({ part: 'http' }))
  server.on('request', app.callback())
  server.keepAliveTimeout = 65_000
  server.listen(config.http.port, config.http.host)
  await once(server, 'listening')
  log.info({ port: config.http.port, host: config.http.host }, 'listening')
  // Tells a dev supervisor that the API is up, so it announces only what works.
  process.send?.({ listening: config.http.port })

  // Requests in flight still use the producer and the stores: they close
  // only once the server has drained, in reverse order of opening.
  const drainTimeoutMs = config.http.drainTimeoutMs
  onSignals(async () => {
    await runShutdown(
      [
        {
          name: 'http',
          run: () => http.drain(drainTimeoutMs),
          timeoutMs: drainTimeoutMs + 5_000,
        },
        { name: 'producer', run: () => events.close() },
        { name: 'queues', run: () => queues.close() },
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
