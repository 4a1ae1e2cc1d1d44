import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../../src/logger.js'
import type { DedupStore } from '../../src/metering/dedup-store.js'
import type { MeterRecord } from '../../src/metering/event-schema.js'
import { decodeRecord, encodeRecord } from '../../src/metering/record-codec.js'
import type { FlushMetrics } from './meter-metrics.js'
import type { BatchSummary, MeterSink } from './meter-sink.js'

export interface BatcherOptions {
  /** Most distinct events in one flush. */
  batchSize: number
  /** Longest an event waits for a flush that is not full. */
  intervalMs: number
  /**
   * Flush at once when this many jobs have events waiting for a flush (jobs
   * whose events are all being written already do not count): a worker whose
   * slots are all waiting does not idle until the interval ends, since no
   * further job could arrive to fill the batch.
   */
  flushWhenJobsWaiting?: number
  /** How long a claimed batch is protected from takeover without a renewal. */
  leaseMs?: number
  /** How often to look for batches abandoned by a dead or hung worker. */
  sweepIntervalMs?: number
  /** How long a closing batcher keeps retrying a store that does not answer. */
  closeDeadlineMs?: number
  /** Told of each flushed batch and each retried step. */
  metrics?: FlushMetrics
}

/** A store stayed down past the close deadline; the job is retried later. */
export class FlushAbandonedError extends Error {}

/**
 * One job's share of the batcher: a single promise for all its events, settled
 * when the last of them is counted or the first fails.
 */
interface Ticket {
  /** Events not yet counted. */
  uncounted: number
  /** Events still waiting in `pending`, not taken by a flush. */
  untaken: number
  resolve: () => void
  reject: (err: Error) => void
}

interface Waiter {
  record: MeterRecord
  ticket: Ticket
}

/**
 * Gathers validated events from many jobs into batches and writes each batch
 * exactly once: claim the ids in Redis with a journal, write the batch under
 * its id (usage, bandwidth and activity alike), then mark the ids counted. A job's promise settles
 * only after its events are durable or known to be counted already.
 */
export class Batcher {
  private pending: Waiter[] = []
  /** Jobs with events in `pending`; jobs whose events are all in a flush do not count. */
  private jobsPending = 0
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined
  private sweeper: NodeJS.Timeout | undefined
  private sweeping: Promise<void> | undefined
  private closingSince: number | undefined
  private readonly leaseMs: number
  private readonly closeDeadlineMs: number

  constructor(
    private readonly dedup: DedupStore,
    private readonly sink: MeterSink,
    private readonly log: Logger,
    private readonly options: BatcherOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 15_000
    this.closeDeadlineMs = options.closeDeadlineMs ?? 10_000
    const sweepEvery = options.sweepIntervalMs ?? 2_000
    this.sweeper = setInterval(() => this.sweep(), sweepEvery)
    this.sweeper.unref()
  }

  /** Resolves once every record is counted, exactly once, in the store. */
  add(records: MeterRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve()

    return new Promise<void>((resolve, reject) => {
      const ticket: Ticket = { uncounted: records.length, untaken: records.length, resolve, reject }
      for (const record of records) this.pending.push({ record, ticket })
      this.jobsPending += 1
      this.schedule()
    })
  }

  /** Flushes now and bounds retries from here on; call before closing the worker. */
  beginClose(): void {
    this.closingSince ??= Date.now()
    if (this.pending.length > 0 && !this.flushing) this.startFlush()
  }

  /** Flushes what is left and stops the sweeper. */
  async close(): Promise<void> {
    this.beginClose()
    if (this.sweeper) clearInterval(this.sweeper)
    this.sweeper = undefined

    while (this.flushing || this.pending.length > 0) {
      if (!this.flushing) this.startFlush()
      await this.flushing
    }
    await this.sweeping
  }

  private schedule(): void {
    if (this.flushing || this.pending.length === 0) return

    const full =
      this.pending.length >= this.options.batchSize ||
      this.jobsPending >= (this.options.flushWhenJobsWaiting ?? Number.POSITIVE_INFINITY)
    if (full || this.closingSince !== undefined) {
      this.startFlush()
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.startFlush(), this.options.intervalMs)
    }
  }

  /** Takes the next batch out of `pending`. */
  private take(): Waiter[] {
    const taken = this.pending.splice(0, this.options.batchSize)
    for (const { ticket } of taken) {
      ticket.untaken -= 1
      if (ticket.untaken === 0) this.jobsPending -= 1
    }
    return taken
  }

  /** Puts waiters back, e.g. those held by another batch, for a later flush. */
  private putBack(waiters: Waiter[]): void {
    for (const waiter of waiters) {
      if (waiter.ticket.untaken === 0) this.jobsPending += 1
      waiter.ticket.untaken += 1
      this.pending.push(waiter)
    }
    this.schedule()
  }

  private startFlush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.flushing = this.flushOnce()
      .catch((err) => this.log.error({ err }, 'flush failed'))
      .finally(() => {
        this.flushing = undefined
        this.schedule()
      })
  }

  private async flushOnce(): Promise<void> {
    const taken = this.take()
    const byEvent = new Map<string, Waiter[]>()
    for (const waiter of taken) {
      const same = byEvent.get(waiter.record.eventId)
      if (same) same.push(waiter)
      else byEvent.set(waiter.record.eventId, [waiter])
    }

    const batchId = randomUUID().replaceAll('-', '')
    const groups = [...byEvent.values()]
    const entries = groups.map(([first]) => ({
      eventId: (first as Waiter).record.eventId,
      stored: encodeRecord((first as Waiter).record),
    }))

    let statuses: Awaited<ReturnType<DedupStore['claim']>>
    try {
      statuses = await this.dedup.claim(batchId, entries, this.leaseMs)
    } catch (err) {
      this.log.warn({ err, batch_id: batchId }, 'claim failed; jobs will be retried')
      for (const waiter of taken) waiter.ticket.reject(err as Error)
      return
    }

    const claimed: Waiter[] = []
    const held: Waiter[] = []
    statuses.forEach((status, i) => {
      const waiters = groups[i] as Waiter[]
      if (status.kind === 'counted') for (const waiter of waiters) counted(waiter)
      else if (status.kind === 'claimed') claimed.push(...waiters)
      else held.push(...waiters)
    })
    this.requeueHeld(held)
    if (claimed.length === 0) return

    try {
      await this.write(batchId, claimedRecords(claimed))
      for (const waiter of claimed) counted(waiter)
    } catch (err) {
      for (const waiter of claimed) waiter.ticket.reject(err as Error)
    }
  }

  /**
   * Another batch holds these ids: it will commit, or its lease runs out and
   * the sweeper adopts it. Either way they settle as counted on a later try.
   */
  private requeueHeld(held: Waiter[]): void {
    if (held.length === 0) return
    const retry = setTimeout(() => this.putBack(held), 200)
    retry.unref()
  }

  private async write(batchId: string, records: MeterRecord[]): Promise<void> {
    const started = performance.now()

    let summary: BatchSummary | undefined
    await this.retrying(batchId, 'insert', async () => {
      summary = await this.sink.write(batchId, records)
    })
    await this.retrying(batchId, 'commit', () => this.dedup.commit(batchId))

    const ms = Math.round(performance.now() - started)
    this.log.debug({ batch_id: batchId, events: records.length, ...summary, ms }, 'flushed')
    this.options.metrics?.flushed(records.length, ms / 1000, summary)
  }

  /**
   * Retries a step with capped backoff while renewing the batch's lease, for as
   * long as the worker runs. A closing worker gives up after its deadline; the
   * journal stays in Redis and another worker finishes the batch.
   *
   * Shortcoming: every error is retried, also one the store will repeat for
   * ever, and flushes run one at a time, so such a batch holds up all later
   * ones. Validation keeps every accepted value storable (days within a
   * ClickHouse Date, text PostgreSQL takes), which is what prevents it today;
   * splitting a refused batch to isolate the bad event is not built.
   */
  private async retrying(batchId: string, step: string, run: () => Promise<unknown>) {
    for (let attempt = 1; ; attempt++) {
      try {
        await run()
        return
      } catch (err) {
        if (this.pastCloseDeadline()) {
          // End the lease now so that a live worker adopts the batch at once.
          await this.dedup.renew(batchId, 0).catch(() => false)
          throw new FlushAbandonedError(`${step} of batch ${batchId} abandoned at shutdown`)
        }
        const delay = Math.min(5_000, 100 * 2 ** Math.min(attempt, 6))
        this.log.warn({ err, batch_id: batchId, step, attempt, delay_ms: delay }, 'retrying')
        this.options.metrics?.retried(step)
        await sleep(delay)
        await this.dedup.renew(batchId, this.leaseMs).catch(() => false)
      }
    }
  }

  private pastCloseDeadline(): boolean {
    return this.closingSince !== undefined && Date.now() - this.closingSince > this.closeDeadlineMs
  }

  /** Finishes batches whose worker died or hung past its lease. */
  private sweep(): void {
    if (this.sweeping || this.closingSince !== undefined) return
    this.sweeping = this.adoptExpired()
      .catch((err) => this.log.warn({ err }, 'sweep failed'))
      .finally(() => {
        this.sweeping = undefined
      })
  }

  private async adoptExpired(): Promise<void> {
    for (;;) {
      const batch = await this.dedup.takeOverExpired(this.leaseMs)
      if (!batch) return

      this.log.warn({ batch_id: batch.batchId, events: batch.entries.length }, 'adopting batch')
      const records = batch.entries.map((entry) => decodeRecord(entry.eventId, entry.stored))
      await this.write(batch.batchId, records)
    }
  }
}

/** Settles one event; its job's promise resolves with the last of its events. */
function counted({ ticket }: Waiter): void {
  ticket.uncounted -= 1
  if (ticket.uncounted === 0) ticket.resolve()
}

function claimedRecords(claimed: Waiter[]): MeterRecord[] {
  const seen = new Set<string>()
  const records: MeterRecord[] = []
  for (const { record } of claimed) {
    if (seen.has(record.eventId)) continue
    seen.add(record.eventId)
    records.push(record)
  }
  return records
}
