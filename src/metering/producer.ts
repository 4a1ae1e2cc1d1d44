import { createHash } from 'node:crypto'
import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { pino } from 'pino'
import type { Logger } from '../logger.js'
import { createRedis } from '../redis.js'
import { describeFieldErrors, type FieldErrors, fieldErrors } from '../validation.js'
import { type EventInput, eventSchema, MAX_BATCH_EVENTS } from './event-schema.js'
import { JOB_NAMES, METERING_JOB_OPTIONS, METERING_QUEUE } from './queues.js'

/** The event was refused before it reached the queue; fix it, do not retry it. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError'
  readonly retryable = false

  constructor(readonly errors: FieldErrors) {
    super(`invalid event: ${describeFieldErrors(errors)}`)
  }
}

/** Redis did not take the job; nothing was enqueued, and the same call may be retried. */
export class ProducerUnavailableError extends Error {
  override readonly name = 'ProducerUnavailableError'
  readonly retryable = true
}

export interface ProducerOptions {
  /** Default `redis://127.0.0.1:6379`. */
  redisUrl?: string
  /** BullMQ key prefix; must match the worker's `QUEUE_PREFIX`. Default `bull`. */
  prefix?: string
  queueName?: string
  log?: Logger
}

interface Common {
  eventId: string
  userId: number
  externalUserId?: string
  /** ISO 8601 with offset; default: when the job is enqueued. */
  occurredAt?: string
}

const encodingMetrics = { cpu: 'encoding_cpu', gpu: 'encoding_gpu' } as const

/**
 * Enqueues metering events for the worker. Every event is validated here with
 * the worker's own schema, and its job id derives from its `event_id`, so an
 * event re-sent while its job is still in Redis is not even enqueued twice.
 */
export class MeteringProducer {
  private constructor(
    private readonly queue: Queue,
    private readonly redis: Redis,
  ) {}

  /** Connects, failing fast with `ProducerUnavailableError` when Redis does not answer. */
  static async connect(options: ProducerOptions = {}): Promise<MeteringProducer> {
    const log = options.log ?? pino({ level: 'silent' })
    const redis = createRedis(options.redisUrl ?? 'redis://127.0.0.1:6379', 'producer', log)
    try {
      await redis.connect()
    } catch (err) {
      redis.disconnect()
      throw new ProducerUnavailableError('Redis is unreachable', { cause: err })
    }

    const queue = new Queue(options.queueName ?? METERING_QUEUE, {
      connection: redis,
      prefix: options.prefix ?? 'bull',
    })
    queue.on('error', (err) => log.warn({ err }, 'producer queue error'))
    return new MeteringProducer(queue, redis)
  }

  recordUpload(event: Common & { bytes: number | string }): Promise<string> {
    return this.record({ ...usage(event), metric: 'upload_bytes', value: event.bytes })
  }

  async recordEncoding(event: Common & { engine: 'cpu' | 'gpu'; seconds: number | string }) {
    // Checked here too: plain JavaScript callers pass any string, and 'tpu'
    // must not be billed as CPU.
    const metric = encodingMetrics[event.engine]
    if (!Object.hasOwn(encodingMetrics, event.engine)) {
      throw new InvalidEventError({ engine: ['must be cpu or gpu'] })
    }
    return this.record({ ...usage(event), metric, value: event.seconds })
  }

  recordBandwidth(
    event: Common & { videoUlid: string; bytes: number | string; ip: string; sessionId?: string },
  ): Promise<string> {
    return this.record({
      ...base(event),
      type: 'bandwidth',
      external_user_id: event.externalUserId,
      video_ulid: event.videoUlid,
      bytes: event.bytes,
      ip: event.ip,
      session_id: event.sessionId,
    })
  }

  recordActivity(
    event: Omit<Common, 'externalUserId'> & {
      event: string
      description: string
      subjectType?: string
      subjectId?: string | number
      properties?: Record<string, unknown>
    },
  ): Promise<string> {
    return this.record({
      ...base(event),
      type: 'activity',
      event: event.event,
      description: event.description,
      subject_type: event.subjectType,
      subject_id: event.subjectId,
      properties: event.properties,
    })
  }

  /** Enqueues one event of any type; resolves to its job id. */
  async record(event: EventInput): Promise<string> {
    check(event)
    const jobId = eventJobId(event.event_id)
    await this.add(JOB_NAMES.event, event, jobId)
    return jobId
  }

  /** Enqueues up to 1,000 events as one `batch` job; resolves to its job id. */
  async recordBatch(events: EventInput[]): Promise<string> {
    if (events.length === 0 || events.length > MAX_BATCH_EVENTS) {
      throw new InvalidEventError({ events: [`must hold 1 to ${MAX_BATCH_EVENTS} events`] })
    }
    const errors: FieldErrors = {}
    events.forEach((event, index) => {
      Object.assign(errors, problems(event, `events.${index}.`))
    })
    if (Object.keys(errors).length > 0) throw new InvalidEventError(errors)

    const jobId = batchJobId(events.map((event) => event.event_id))
    await this.add(JOB_NAMES.batch, { events }, jobId)
    return jobId
  }

  async close(): Promise<void> {
    await this.queue.close()
    this.redis.disconnect()
  }

  private async add(name: string, data: unknown, jobId: string): Promise<void> {
    try {
      await this.queue.add(name, data, { ...METERING_JOB_OPTIONS, jobId })
    } catch (err) {
      throw new ProducerUnavailableError('Redis did not take the job', { cause: err })
    }
  }
}

/**
 * The job id of a single-event job: `ev-` and the first 40 hex digits of the
 * SHA-256 of the event id's UTF-8 bytes. Producers in other languages derive
 * it the same way (see the README), so an event re-sent from any of them
 * while its job is in Redis is not enqueued twice.
 */
export function eventJobId(eventId: string): string {
  return `ev-${digest(eventId)}`
}

/** The job id of a batch: `batch-` and the digest of its event ids as a compact JSON array. */
export function batchJobId(eventIds: string[]): string {
  // JSON keeps ids apart: joined with a separator, ['a\nb'] and ['a', 'b'] would collide.
  return `batch-${digest(JSON.stringify(eventIds))}`
}

function base(event: Omit<Common, 'externalUserId'>) {
  return { event_id: event.eventId, user_id: event.userId, occurred_at: event.occurredAt }
}

function usage(event: Common) {
  return { ...base(event), type: 'usage' as const, external_user_id: event.externalUserId }
}

function problems(event: unknown, prefix: string): FieldErrors {
  const parsed = eventSchema.safeParse(event)
  return parsed.success ? {} : fieldErrors(parsed.error, prefix)
}

function check(event: unknown): void {
  const errors = problems(event, '')
  if (Object.keys(errors).length > 0) throw new InvalidEventError(errors)
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 40)
}
