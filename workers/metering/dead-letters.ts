import type { Job, Queue } from 'bullmq'
import { redactSecrets } from '../../src/metering/events/activity.js'
import type { DeadLetter } from '../../src/metering/queues.js'
import { describeFieldErrors, type FieldErrors } from '../../src/validation.js'

export interface Rejection {
  event: unknown
  errors: FieldErrors
  /** Position in a batch job; null for a single-event job or a malformed batch. */
  index: number | null
}

/**
 * Parks rejected events in the dead-letter queue, where nothing consumes them:
 * they wait there, with their reasons, to be inspected and replayed. Job ids
 * derive from the source job, so a retried job never parks an event twice.
 */
export class DeadLetters {
  constructor(private readonly queue: Queue<DeadLetter>) {}

  async park(source: Job, rejections: Rejection[]): Promise<void> {
    if (rejections.length === 0) return

    const rejectedAt = new Date().toISOString()
    await this.queue.addBulk(
      rejections.map((rejection) => ({
        name: 'rejected',
        data: {
          // Refused for a password in it, an event must not keep it here.
          event: redactSecrets(rejection.event),
          errors: rejection.errors,
          reason: describeFieldErrors(rejection.errors),
          source: {
            queue: source.queueName,
            job_id: String(source.id),
            job_name: source.name,
            index: rejection.index,
            enqueued_at: new Date(source.timestamp).toISOString(),
          },
          rejected_at: rejectedAt,
        },
        opts: { jobId: `${source.id}-${rejection.index ?? 'job'}` },
      })),
    )
  }
}
