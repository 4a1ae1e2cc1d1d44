import { Queue, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Registry } from 'prom-client'
import { UserDirectory } from '../../src/accounts/user-directory.js'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import type { Config } from '../../src/config.js'
import type { Logger } from '../../src/logger.js'
import { DedupStore } from '../../src/metering/dedup-store.js'
import {
  type DeadLetter,
  deadLetterQueueName,
  dedupKeyBase,
  METERING_QUEUE,
} from '../../src/metering/queues.js'
import type { Database } from '../../src/postgres/database.js'
import { Batcher } from './batcher.js'
import { DeadLetters } from './dead-letters.js'
import { MeterMetrics } from './meter-metrics.js'
import { MeterSink } from './meter-sink.js'
import { assertHandlersComplete, createProcessor, type JobOutcome } from './processor.js'

export interface MeteringWorkerDeps {
  config: Pick<Config, 'queuePrefix' | 'worker'>
  log: Logger
  db: Database
  clickhouse: ClickHouse
  /** For BullMQ (blocking commands; `maxRetriesPerRequest: null`). */
  queueRedis: Redis
  /** For the dedup scripts. */
  commandRedis: Redis
  queueName?: string
  /** Where the worker's counters go; none are kept without it. */
  metrics?: Registry
}

export interface MeteringWorker {
  worker: Worker<unknown, JobOutcome>
  batcher: Batcher
  /** Stops taking jobs, flushes what is buffered, acknowledges, and closes. */
  close(): Promise<void>
}

/** Wires the metering worker: queue → validation → batcher → ClickHouse and PostgreSQL. */
export function startMeteringWorker(deps: MeteringWorkerDeps): MeteringWorker {
  assertHandlersComplete()
  const { config, log } = deps
  const queueName = deps.queueName ?? METERING_QUEUE
  const prefix = config.queuePrefix

  const dedup = new DedupStore(
    deps.commandRedis,
    dedupKeyBase(prefix, queueName),
    config.worker.dedupHorizonSeconds,
  )
  const metrics = deps.metrics ? new MeterMetrics(deps.metrics) : undefined
  const batcher = new Batcher(
    dedup,
    new MeterSink(deps.clickhouse, deps.db),
    log.child({ part: 'batcher' }),
    {
      batchSize: config.worker.flushBatchSize,
      intervalMs: config.worker.flushIntervalMs,
      flushWhenJobsWaiting: config.worker.concurrency,
      // Half the job lock: a dead worker's batch is adopted before its jobs
      // come back from stalling, so the re-run finds them counted.
      leaseMs: Math.ceil(config.worker.lockMs / 2),
      metrics,
    },
  )
  const deadLetterQueue = new Queue<DeadLetter>(deadLetterQueueName(queueName), {
    connection: deps.queueRedis,
    prefix,
  })
  deadLetterQueue.on('error', (err) => log.warn({ err }, 'dead-letter queue error'))

  const processor = createProcessor({
    log: log.child({ part: 'processor' }),
    batcher,
    users: new UserDirectory(deps.db),
    deadLetters: new DeadLetters(deadLetterQueue),
    metrics,
  })
  const worker = new Worker<unknown, JobOutcome>(queueName, processor, {
    connection: deps.queueRedis,
    prefix,
    concurrency: config.worker.concurrency,
    lockDuration: config.worker.lockMs,
    stalledInterval: config.worker.lockMs,
    // A crash-looping worker must not fail events after one stall: the dedup
    // journal makes every re-run safe, so allow many.
    maxStalledCount: 10,
    removeOnComplete: { age: 3_600, count: 10_000 },
    removeOnFail: { age: 14 * 24 * 3_600 },
  })
  worker.on('error', (err) => log.error({ err }, 'worker error'))
  worker.on('failed', (job, err) => {
    log.warn({ err, job_id: job?.id, job_name: job?.name }, 'job failed')
  })

  return {
    worker,
    batcher,
    async close() {
      batcher.beginClose()
      await worker.close()
      await batcher.close()
      await deadLetterQueue.close()
    },
  }
}
