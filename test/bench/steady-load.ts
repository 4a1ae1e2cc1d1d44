import { setTimeout as sleep } from 'node:timers/promises'
import type { EventInput } from '../../src/metering/event-schema.js'
import type { MeteringProducer } from '../../src/metering/producer.js'

export interface SteadyLoadOptions {
  producer: MeteringProducer
  /** Users billed, in turn; they must exist. */
  users: number[]
  eventsPerSecond: number
  /** Unique per run, so event ids never meet the dedup marks of another run. */
  label: string
}

/** One tick's events are sent together; ten ticks a second keep the pace even. */
const tickMs = 100
/** One event in ten travels alone, as the encoding pipeline sends; the rest in batches. */
const singleShare = 0.1
const batchSize = 50
const VIDEO = '01J0BENCH00000000000000000'
const METRICS = ['upload_bytes', 'encoding_cpu', 'encoding_gpu'] as const

/**
 * A producer at a steady rate, as a platform sends: every 100 ms a tick's
 * share of the rate, one event in ten as a single-event job and the rest in
 * batch jobs of 50, a quarter of them bandwidth. A tick that runs late is
 * caught up at once, so the rate holds over any second the producer keeps up.
 */
export class SteadyLoad {
  private serial = 0
  private running: Promise<void> | undefined
  private stopping = false
  private startedAt = 0
  /** Ticks that were not sent by the time the next one was due. */
  lateTicks = 0

  constructor(private readonly options: SteadyLoadOptions) {}

  get sent(): number {
    return this.serial
  }

  start(): void {
    this.startedAt = performance.now()
    this.running = this.loop()
  }

  /** Stops sending; the events sent and the rate achieved. */
  async stop(): Promise<{ events: number; seconds: number; eventsPerSecond: number }> {
    this.stopping = true
    await this.running
    const seconds = (performance.now() - this.startedAt) / 1_000
    return { events: this.serial, seconds, eventsPerSecond: this.serial / seconds }
  }

  private async loop(): Promise<void> {
    const perTick = (this.options.eventsPerSecond * tickMs) / 1_000
    for (let tick = 0; !this.stopping; tick++) {
      const due = this.startedAt + tick * tickMs
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      else if (tick > 0 && -wait > tickMs) this.lateTicks += 1

      // Whole events per tick, the fractions carried so the rate is exact.
      const count = Math.floor((tick + 1) * perTick) - Math.floor(tick * perTick)
      await this.sendTick(count)
    }
  }

  private async sendTick(count: number): Promise<void> {
    const singles = Math.round(count * singleShare)
    const events = Array.from({ length: count }, () => this.next())
    const jobs: Promise<string>[] = events
      .slice(0, singles)
      .map((event) => this.options.producer.record(event))
    for (let start = singles; start < count; start += batchSize) {
      jobs.push(this.options.producer.recordBatch(events.slice(start, start + batchSize)))
    }
    await Promise.all(jobs)
  }

  private next(): EventInput {
    this.serial += 1
    const n = this.serial
    const { users, label } = this.options
    const common = {
      event_id: `${label}-${n}`,
      user_id: users[n % users.length] as number,
      external_user_id: `customer-${n % 50}`,
      occurred_at: '2026-11-30T12:00:00Z',
    }
    if (n % 4 === 3) {
      return { ...common, type: 'bandwidth', video_ulid: VIDEO, bytes: 1_048_576, ip: '192.0.2.7' }
    }
    const metric = METRICS[n % 4] as (typeof METRICS)[number]
    return { ...common, type: 'usage', metric, value: metric === 'upload_bytes' ? 4_096 : 0.5 }
  }
}
