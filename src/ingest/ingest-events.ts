import type { UserDirectory } from '../accounts/user-directory.js'
import { ValidationError } from '../errors.js'
import { type EventInput, MAX_BATCH_EVENTS, parseEvent } from '../metering/event-schema.js'
import type { FieldErrors } from '../validation.js'

/** What ingestion needs of the producer: enqueue one event or one batch job. */
export interface EventQueue {
  record(event: EventInput): Promise<string>
  recordBatch(events: EventInput[]): Promise<string>
}

export interface Rejected {
  /** Position in `events`; 0 for a single event. */
  index: number
  event_id: string | null
  errors: FieldErrors
}

export interface IngestResult {
  accepted: number
  rejected: Rejected[]
}

const batchSize = `1 to ${MAX_BATCH_EVENTS}`
const envelopeRule = `must be one event object, or { "events": [...] } with ${batchSize}`

/**
 * Accepts events over HTTP with the queue's own schema and idempotency. A
 * body is one event, or `{ "events": [...] }` like a `batch` job. Events that
 * fail validation, or name no existing user, come back with their reasons and
 * are not enqueued; a single event that fails is a 422. The rest go on the
 * queue as one job whose id derives from the event ids, exactly as the
 * producer would send them.
 */
export async function ingestEvents(
  body: unknown,
  deps: { users: UserDirectory; queue: EventQueue; now?: number },
): Promise<IngestResult> {
  const { events, single } = unwrap(body)
  const now = deps.now ?? Date.now()

  const rejected: Rejected[] = []
  const parsed: { raw: EventInput; userId: number; index: number }[] = []
  events.forEach((raw, index) => {
    const result = parseEvent(raw, now)
    if (result.ok) parsed.push({ raw: raw as EventInput, userId: result.record.userId, index })
    else rejected.push({ index, event_id: eventIdOf(raw), errors: result.errors })
  })

  const existing = await deps.users.existing(parsed.map((event) => event.userId))
  const valid: EventInput[] = []
  for (const event of parsed) {
    if (existing.has(event.userId)) valid.push(event.raw)
    else {
      const errors = { user_id: ['no such user'] }
      rejected.push({ index: event.index, event_id: event.raw.event_id, errors })
    }
  }
  rejected.sort((a, b) => a.index - b.index)

  if (single && rejected.length > 0) throw new ValidationError((rejected[0] as Rejected).errors)
  if (valid.length === 1 && single) await deps.queue.record(valid[0] as EventInput)
  else if (valid.length > 0) await deps.queue.recordBatch(valid)
  return { accepted: valid.length, rejected }
}

function unwrap(body: unknown): { events: unknown[]; single: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError({ _: [envelopeRule] })
  }
  if (!('events' in body)) return { events: [body], single: true }

  const { events, ...others } = body as { events: unknown }
  const errors: FieldErrors = {}
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_BATCH_EVENTS) {
    errors.events = [`must be an array of ${batchSize} events`]
  }
  for (const key of Object.keys(others)) errors[key] = ['is not a known field']
  if (Object.keys(errors).length > 0) throw new ValidationError(errors)
  return { events: events as unknown[], single: false }
}

function eventIdOf(raw: unknown): string | null {
  const id = (raw as { event_id?: unknown } | null)?.event_id
  return typeof id === 'string' ? id : null
}
