import { Redis, type RedisOptions } from 'ioredis'
import { type Logger, maskUrl } from './logger.js'

/**
 * What a connection is for decides how it behaves when Redis is away:
 * - `queue`: BullMQ workers and queues; commands wait for the reconnect.
 * - `producer`: fails fast so a caller's `add` never hangs (no offline queue).
 * - `commands`: the meter's own scripts; a few retries, then an error.
 */
export type RedisPurpose = 'queue' | 'producer' | 'commands'

const purposeOptions: Record<RedisPurpose, RedisOptions> = {
  queue: { maxRetriesPerRequest: null },
  producer: {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: true,
  },
  commands: { maxRetriesPerRequest: 3 },
}

/** Opens a Redis connection from a URL (a database number such as `/3` is honoured). */
export function createRedis(url: string, purpose: RedisPurpose, log: Logger): Redis {
  const redis = new Redis(url, {
    ...purposeOptions[purpose],
    connectionName: `nukevideo-metering:${purpose}`,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  })
  // An unhandled 'error' event would take the process down; a lost Redis is
  // logged and reconnected instead.
  redis.on('error', (err) => log.warn({ err, redis: maskUrl(url), purpose }, 'redis error'))
  return redis
}
