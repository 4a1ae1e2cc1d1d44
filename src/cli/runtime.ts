import type { Readable, Writable } from 'node:stream'
import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { ClickHouse } from '../clickhouse/client.js'
import { type Config, loadConfig } from '../config.js'
import { embeddedUrlsFile, readEmbeddedUrls } from '../embedded/urls-file.js'
import { createLogger, type Logger, maskUrl } from '../logger.js'
import { deadLetterQueueName, METERING_QUEUE } from '../metering/queues.js'
import type { Database } from '../postgres/database.js'
import { createRedis } from '../redis.js'
import { runShutdown, type ShutdownStep } from '../shutdown.js'
import { openAccountStore, openClickHouseStore } from '../stores.js'
import { CommandFailedError } from './cli-errors.js'

/** The streams and environment of one run; a test passes its own. */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean }
  stderr: Writable & { isTTY?: boolean }
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown }
  env: NodeJS.ProcessEnv
}

/** The metering queue and its dead letters, on one connection. */
export interface MeteringQueues {
  metering: Queue
  deadLetters: Queue
}

/**
 * What a command needs, opened on first use and closed, newest first, when
 * the command ends. Nothing is read before a command runs, so `--help` works
 * whatever the environment holds.
 */
export class CliRuntime {
  private loaded: { config: Config; log: Logger } | undefined
  private readonly closing: ShutdownStep[] = []

  constructor(readonly io: CliIo) {}

  /** The configuration, from the same variables as every other process. */
  get config(): Config {
    return this.load().config
  }

  /**
   * Logs go to stderr, and only when LOG_LEVEL is set: a command reports its
   * own failures in a line of its own, and stdout is its output.
   */
  get log(): Logger {
    return this.load().log
  }

  /** One line of the command's output. */
  print(line: string): void {
    this.io.stdout.write(`${line}\n`)
  }

  /** A note for the operator, kept off stdout so the output stays clean to pipe. */
  note(line: string): void {
    this.io.stderr.write(`${line}\n`)
  }

  /** PostgreSQL; the embedded one of a running `npm run dev` when it announced one. */
  async accounts(): Promise<Database> {
    const announced = await this.announcedUrl('databaseUrl', this.config.databaseUrl)
    const config = { ...this.config, databaseUrl: this.config.databaseUrl ?? announced }

    const store = await openAccountStore(config, this.log, { cacheAccounts: false }).catch(
      (err: unknown) => {
        throw this.unreachable('PostgreSQL', config.databaseUrl, announced, err)
      },
    )
    this.closing.unshift(...store.shutdownSteps())
    return store.db
  }

  /** ClickHouse; the embedded one of a running `npm run dev` when it announced one. */
  async clickhouse(options: { forDdl?: boolean } = {}): Promise<ClickHouse> {
    const announced = await this.announcedUrl('clickhouseUrl', this.config.clickhouseUrl)
    const config = { ...this.config, clickhouseUrl: this.config.clickhouseUrl ?? announced }

    const clickhouse = openClickHouseStore(config, this.log, options)
    this.closing.unshift({ name: 'clickhouse', run: () => clickhouse.close() })
    const ping = await clickhouse.client.ping()
    if (!ping.success) {
      throw this.unreachable('ClickHouse', config.clickhouseUrl, announced, ping.error)
    }
    return clickhouse
  }

  /** The metering queue and its dead letters, failing at once when Redis does not answer. */
  async queues(): Promise<MeteringQueues> {
    const { redisUrl, queuePrefix } = this.config
    const redis = createRedis(redisUrl, 'producer', this.log)
    this.closing.unshift({ name: 'redis', run: () => quit(redis) })
    // The refused connection says why (ECONNREFUSED…); the failed connect only that it closed.
    let cause: unknown
    redis.once('error', (err) => {
      cause = err
    })
    try {
      await redis.connect()
    } catch (err) {
      throw this.unreachable('Redis', redisUrl, undefined, cause ?? err)
    }

    const options = { connection: redis, prefix: queuePrefix }
    const metering = new Queue(METERING_QUEUE, options)
    const deadLetters = new Queue(deadLetterQueueName(), options)
    for (const queue of [metering, deadLetters]) {
      queue.on('error', (err) => this.log.warn({ err, queue: queue.name }, 'queue error'))
      this.closing.unshift({ name: queue.name, run: () => queue.close() })
    }
    return { metering, deadLetters }
  }

  /** Closes what the command opened; false when a store did not close cleanly. */
  async close(): Promise<boolean> {
    if (!this.loaded) return true
    const steps = this.closing.splice(0)
    return runShutdown(steps, this.log)
  }

  private load(): { config: Config; log: Logger } {
    if (!this.loaded) {
      const config = loadConfig(this.io.env)
      const level = this.io.env.LOG_LEVEL?.trim() ? config.logLevel : 'silent'
      const log = createLogger(level, 'cli', { stream: 'stderr' })
      this.loaded = { config, log }
    }
    return this.loaded
  }

  /** The URL a running `npm run dev` announced for a store that has no URL of its own. */
  private async announcedUrl(
    key: 'databaseUrl' | 'clickhouseUrl',
    configured: string | undefined,
  ): Promise<string | undefined> {
    if (configured) return undefined
    return (await readEmbeddedUrls(this.config.dataDir))?.[key]
  }

  private unreachable(
    store: string,
    url: string | undefined,
    announced: string | undefined,
    err: unknown,
  ): CommandFailedError {
    const where = url ? ` at ${maskUrl(url)}` : ''
    const reason = err instanceof Error ? err.message : String(err)
    const hint = announced
      ? ` (announced in ${embeddedUrlsFile(this.config.dataDir)}; is \`npm run dev\` running?)`
      : ''
    return new CommandFailedError(`${store}${where} is unreachable: ${reason}${hint}`)
  }
}

async function quit(redis: Redis): Promise<void> {
  try {
    await redis.quit()
  } catch {
    redis.disconnect()
  }
}
