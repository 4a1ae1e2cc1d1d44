import type { MeteringProducer } from '../metering/producer.js'
import type { SampleJob } from './job-plan.js'

export interface EnqueueSummary {
  jobs: number
  singleJobs: number
  batchJobs: number
  /** Events sent, retries included. */
  events: number
}

/**
 * Sends the jobs in order through the product's own producer, singles with the
 * typed `recordUpload`/`recordEncoding`, batches with `recordBatch`. A retry of
 * a single event whose job is still in Redis is not even enqueued again.
 */
export async function enqueueSample(
  producer: MeteringProducer,
  jobs: readonly SampleJob[],
): Promise<EnqueueSummary> {
  const summary: EnqueueSummary = { jobs: 0, singleJobs: 0, batchJobs: 0, events: 0 }
  for (const job of jobs) {
    if (job.name === 'batch') {
      await producer.recordBatch(job.events)
      summary.batchJobs += 1
      summary.events += job.events.length
    } else {
      await sendSingle(producer, job.event)
      summary.singleJobs += 1
      summary.events += 1
    }
    summary.jobs += 1
  }
  return summary
}

async function sendSingle(
  producer: MeteringProducer,
  event: Extract<SampleJob, { name: 'event' }>['event'],
): Promise<void> {
  const common = {
    eventId: event.event_id,
    userId: event.user_id,
    externalUserId: event.external_user_id,
    occurredAt: event.occurred_at,
  }
  if (event.metric === 'upload_bytes') {
    await producer.recordUpload({ ...common, bytes: event.value })
  } else {
    const engine = event.metric === 'encoding_gpu' ? 'gpu' : 'cpu'
    await producer.recordEncoding({ ...common, engine, seconds: event.value })
  }
}
