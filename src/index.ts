/** The package's public surface: the typed producer and the event contract. */

export {
  type ActivityEventInput,
  type BandwidthEventInput,
  EVENT_TYPES,
  type EventInput,
  eventSchema,
  MAX_BATCH_EVENTS,
  METRICS,
  type Metric,
  type UsageEventInput,
} from './metering/event-schema.js'
export {
  InvalidEventError,
  MeteringProducer,
  type ProducerOptions,
  ProducerUnavailableError,
} from './metering/producer.js'
export { JOB_NAMES, METERING_QUEUE } from './metering/queues.js'
