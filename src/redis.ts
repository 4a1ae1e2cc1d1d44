import { Redis, type RedisOptions } from 'ioredis'
import { ConfigError } from './errors.js'
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

/**
 * Resolves once the connection works in the database its URL names. ioredis
 * goes on in database 0 when SELECT fails (`/99` on a Redis of 16), which
 * would put this stack on another stack's queue and dedup state.
 */
export async function checkSelectedDatabase(redis: Redis): Promise<void> {
  const wanted = redis.options.db ?? 0
  const info = String(await redis.call('CLIENT', 'INFO'))
  const selected = Number(/\bdb=(\d+)/.exec(info)?.[1] ?? 0)
  if (selected !== wanted) {
    throw new ConfigError({
      REDIS_URL: [`names database ${wanted}, which this Redis does not have`],
    })
  }
}
