import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from '../logger.js'
import { deadLetterQueueName, METERING_QUEUE } from './queues.js'

/** The meter's queues as the web sees them: for the dashboard and for metrics, never consumed. */
export interface WatchedQueues {
  metering: Queue
  deadLetters: Queue
  close(): Promise<void>
}

/**
 * Handles on the `metering` queue and its dead-letter queue over an existing
 * connection. That connection should fail fast (a few retries, then an
 * error), so a page or a scrape answers while Redis is away instead of hanging.
 */
export function watchQueues(redis: Redis, prefix: string, log: Logger): WatchedQueues {
  const metering = new Queue(METERING_QUEUE, { connection: redis, prefix })
  const deadLetters = new Queue(deadLetterQueueName(), { connection: redis, prefix })
  for (const queue of [metering, deadLetters]) {
    queue.on('error', (err) => log.warn({ err, queue: queue.name }, 'queue error'))
  }
  return {
    metering,
    deadLetters,
    async close() {
      await Promise.all([metering.close(), deadLetters.close()])
    },
  }
}
