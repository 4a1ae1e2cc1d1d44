/** The package's public surface: the typed producer and the event contract. */

export { type EventInput, eventSchema, METRICS, type Metric } from './metering/event-schema.js'
export {
  InvalidEventError,
  MeteringProducer,
  type ProducerOptions,
  ProducerUnavailableError,
} from './metering/producer.js'
export { JOB_NAMES, METERING_QUEUE } from './metering/queues.js'
