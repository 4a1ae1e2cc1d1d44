import type { EventInput } from '../metering/event-schema.js'
import { MeteringProducer, type ProducerOptions } from '../metering/producer.js'
import type { EventQueue } from './ingest-events.js'

/**
 * The web process's way onto the queue. It connects on the first event, not
 * at start-up, so the API serves reads while Redis is away; a failed connect
 * is tried again on the next request instead of being remembered.
 */
export class LazyEventQueue implements EventQueue {
  private producer: Promise<MeteringProducer> | undefined

  constructor(private readonly options: ProducerOptions) {}

  async record(event: EventInput): Promise<string> {
    return (await this.connected()).record(event)
  }

  async recordBatch(events: EventInput[]): Promise<string> {
    return (await this.connected()).recordBatch(events)
  }

  async close(): Promise<void> {
    const producer = await this.producer?.catch(() => undefined)
    this.producer = undefined
    await producer?.close()
  }

  private connected(): Promise<MeteringProducer> {
    this.producer ??= MeteringProducer.connect(this.options).catch((err: unknown) => {
      this.producer = undefined
      throw err
    })
    return this.producer
  }
}
