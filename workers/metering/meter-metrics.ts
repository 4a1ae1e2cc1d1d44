import { Counter, Histogram, type Registry } from 'prom-client'
import { activitySchema } from '../../src/metering/events/activity.js'
import { bandwidthSchema } from '../../src/metering/events/bandwidth.js'
import { usageSchema } from '../../src/metering/events/usage.js'
import type { Rejection } from './dead-letters.js'
import type { BatchSummary } from './meter-sink.js'

/** What the processor reports once a job's events are parked or durable. */
export interface JobMetrics {
  jobDone(accepted: number, rejections: readonly Rejection[]): void
}

/** What the batcher reports about its writes. */
export interface FlushMetrics {
  flushed(events: number, seconds: number, summary: BatchSummary | undefined): void
  retried(step: string): void
}

/**
 * Field names a rejection may be labelled with. Error keys can carry what a
 * producer sent (an unknown key, a path into `properties`), so only the
 * first segment is used, and only when it is a field the meter knows: a
 * label set that no input can grow.
 */
const knownFields = new Set([
  ...Object.keys(usageSchema.shape),
  ...Object.keys(bandwidthSchema.shape),
  ...Object.keys(activitySchema.shape),
  // Not event fields: the job's name, a batch's event list, an event that is no object.
  'job_name',
  'events',
  '_',
])

/** The label of a rejection: its first bad field, or `unknown_field` for one we do not know. */
export function rejectionField(rejection: Rejection): string {
  const [first = '_'] = Object.keys(rejection.errors)
  const field = first.split('.')[0] as string
  return knownFields.has(field) ? field : 'unknown_field'
}

/** Seconds; a flush is a claim, a ClickHouse and PostgreSQL write and a commit. */
const flushBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/**
 * The metering worker's counters, registered in the process's registry.
 * Every method only adds to in-memory counters: nothing here waits on I/O.
 */
export class MeterMetrics implements JobMetrics, FlushMetrics {
  private readonly accepted: Counter
  private readonly rejected: Counter<'field'>
  private readonly batches: Counter
  private readonly events: Counter
  private readonly rows: Counter<'table'>
  private readonly flushSeconds: Histogram
  private readonly retries: Counter<'step'>

  constructor(registry: Registry) {
    const registers = [registry]
    this.accepted = new Counter({
      name: 'metering_events_accepted_total',
      help: 'Events that passed validation and are durable (or were counted already).',
      registers,
    })
    this.rejected = new Counter({
      name: 'metering_events_rejected_total',
      help: 'Events refused and dead-lettered, by their first bad field.',
      labelNames: ['field'],
      registers,
    })
    this.batches = new Counter({
      name: 'metering_batches_flushed_total',
      help: 'Batches written to the stores and committed.',
      registers,
    })
    this.events = new Counter({
      name: 'metering_events_flushed_total',
      help: 'Distinct events written by flushed batches (each event_id once).',
      registers,
    })
    this.rows = new Counter({
      name: 'metering_rows_flushed_total',
      help: 'Rows written by flushed batches, by table.',
      labelNames: ['table'],
      registers,
    })
    this.flushSeconds = new Histogram({
      name: 'metering_flush_duration_seconds',
      help: 'Time from the first write of a batch to its commit, retries included.',
      buckets: flushBuckets,
      registers,
    })
    this.retries = new Counter({
      name: 'metering_flush_retries_total',
      help: 'Failed flush steps that were tried again, by step (insert or commit).',
      labelNames: ['step'],
      registers,
    })

    // Every series exists from the start at 0: Prometheus's increase() cannot
    // see the first increment of a series that appears with it.
    for (const field of [...knownFields, 'unknown_field']) this.rejected.inc({ field }, 0)
    for (const table of ['usage', 'bandwidth', 'activity_log']) this.rows.inc({ table }, 0)
    for (const step of ['insert', 'commit']) this.retries.inc({ step }, 0)
  }

  jobDone(accepted: number, rejections: readonly Rejection[]): void {
    if (accepted > 0) this.accepted.inc(accepted)
    for (const rejection of rejections) this.rejected.inc({ field: rejectionField(rejection) })
  }

  flushed(events: number, seconds: number, summary: BatchSummary | undefined): void {
    this.batches.inc()
    this.events.inc(events)
    this.rows.inc({ table: 'usage' }, summary?.usageRows ?? 0)
    this.rows.inc({ table: 'bandwidth' }, summary?.bandwidthRows ?? 0)
    this.rows.inc({ table: 'activity_log' }, summary?.activityEntries ?? 0)
    this.flushSeconds.observe(seconds)
  }

  retried(step: string): void {
    this.retries.inc({ step })
  }
}
