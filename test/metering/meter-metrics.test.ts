import test from 'ava'
import { Registry } from 'prom-client'
import { DedupStore } from '../../src/metering/dedup-store.js'
import type { MeterRecord } from '../../src/metering/event-schema.js'
import { Batcher } from '../../workers/metering/batcher.js'
import { MeterMetrics } from '../../workers/metering/meter-metrics.js'
import { type BatchSummary, MeterSink } from '../../workers/metering/meter-sink.js'
import { drained, makeUser, meterSuite, testLog } from '../fixtures/metering.js'
import { sampleOf } from '../fixtures/metrics.js'
import { connectRedis, dropPrefix, uniquePrefix } from '../fixtures/redis.js'

const suite = meterSuite(test)
const occurred_at = '2026-05-04T10:00:00Z'

/** Five valid events, one of each kind of row, and five refused for five different fields. */
function knownBatch(userId: number, run: string) {
  const usage = { type: 'usage', user_id: userId, occurred_at }
  const id = (n: number) => `metrics-${run}-${userId}-${n}`
  return [
    { ...usage, event_id: id(0), metric: 'upload_bytes', value: 100, external_user_id: 'c1' },
    { ...usage, event_id: id(1), metric: 'upload_bytes', value: 200, external_user_id: 'c2' },
    { ...usage, event_id: id(2), metric: 'encoding_cpu', value: 1.5, external_user_id: 'c1' },
    {
      type: 'bandwidth',
      event_id: id(3),
      user_id: userId,
      occurred_at,
      video_ulid: '01HZX3K8Q9V2W7M4N6P5R0S1T2',
      bytes: 4096,
      ip: '198.51.100.7',
    },
    {
      type: 'activity',
      event_id: id(4),
      user_id: userId,
      occurred_at,
      event: 'video.uploaded',
      description: 'Uploaded a video',
    },
    { ...usage, event_id: id(5), metric: 'upload_bytes', value: -1 },
    { ...usage, event_id: id(6), metric: 'frames', value: 1 },
    { ...usage, event_id: id(7), metric: 'upload_bytes', value: 1, user_id: 987_654_321 },
    // A misspelt field: its name is the producer's, so it is counted as unknown_field.
    { ...usage, event_id: id(8), metric: 'upload_bytes', value: 1, occured_at: occurred_at },
    {
      type: 'activity',
      event_id: id(9),
      user_id: userId,
      event: 'user.login',
      description: 'Signed in',
      properties: { password: 'hunter2' },
    },
  ]
}

test.serial('a known workload leaves exact counts of accepted, refused and flushed', async (t) => {
  const userId = await makeUser(suite.postgres.db)
  const { queue, metrics } = suite.meter

  await queue.add('batch', { events: knownBatch(userId, 'a') })
  await queue.add('upload', { event_id: `stray-${userId}` })
  await queue.add('event', {
    event_id: `late-${userId}`,
    type: 'usage',
    user_id: userId,
    metric: 'upload_bytes',
    value: 1,
    occurred_at: 'yesterday',
  })
  await drained(queue)

  t.is(await sampleOf(metrics, 'metering_events_accepted_total'), 5)
  const rejected = async (field: string) =>
    sampleOf(metrics, 'metering_events_rejected_total', { field })
  for (const field of ['value', 'metric', 'user_id', 'unknown_field', 'properties']) {
    t.is(await rejected(field), 1, field)
  }
  t.is(await rejected('job_name'), 1)
  t.is(await rejected('occurred_at'), 1)
  t.is(await sampleOf(metrics, 'metering_batches_flushed_total'), 1)
  t.is(await sampleOf(metrics, 'metering_events_flushed_total'), 5)
  const rows = (table: string) => sampleOf(metrics, 'metering_rows_flushed_total', { table })
  t.is(await rows('usage'), 3)
  t.is(await rows('bandwidth'), 1)
  t.is(await rows('activity_log'), 1)
  t.is(await sampleOf(metrics, 'metering_flush_duration_seconds_count'), 1)

  // The same events again: accepted (they are counted) but never flushed twice.
  await queue.add('batch', { events: knownBatch(userId, 'a') })
  await drained(queue)

  t.is(await sampleOf(metrics, 'metering_events_accepted_total'), 10)
  t.is(await rejected('value'), 2)
  t.is(await sampleOf(metrics, 'metering_batches_flushed_total'), 1)
  t.is(await sampleOf(metrics, 'metering_events_flushed_total'), 5)
  t.is(await sampleOf(metrics, 'metering_flush_retries_total', { step: 'insert' }), 0)
  // Series a scrape would show before their first increment, at 0.
  t.is(await sampleOf(metrics, 'metering_flush_retries_total', { step: 'commit' }), 0)
  t.is(await rejected('session_id'), 0)
})

/** The real sink, refusing its first write as a ClickHouse outage would. */
class FailingOnceSink extends MeterSink {
  private writes = 0

  override async write(batchId: string, records: readonly MeterRecord[]): Promise<BatchSummary> {
    this.writes += 1
    if (this.writes === 1) throw new Error('connect ECONNREFUSED')
    return super.write(batchId, records)
  }
}

test.serial('a retried insert is counted as one retry and one flush', async (t) => {
  const redis = connectRedis()
  const prefix = uniquePrefix('meter-metrics')
  const registry = new Registry()
  const batcher = new Batcher(
    new DedupStore(redis, `${prefix}:metering:dedup`, 3_600),
    new FailingOnceSink(suite.clickhouse, suite.postgres.db),
    testLog,
    { batchSize: 100, intervalMs: 10, metrics: new MeterMetrics(registry) },
  )
  const userId = await makeUser(suite.postgres.db)
  const records = [1, 2].map((n) => ({
    kind: 'usage' as const,
    eventId: `retry-${userId}-${n}`,
    userId,
    occurredAt: Date.parse(occurred_at),
    metric: 'encoding_gpu' as const,
    externalUserId: '',
    day: '2026-05-04',
    micros: 2_000_000n,
  }))

  try {
    await batcher.add(records)
  } finally {
    await batcher.close()
    await dropPrefix(redis, prefix)
    redis.disconnect()
  }

  t.is(await sampleOf(registry, 'metering_flush_retries_total', { step: 'insert' }), 1)
  t.is(await sampleOf(registry, 'metering_batches_flushed_total'), 1)
  t.is(await sampleOf(registry, 'metering_events_flushed_total'), 2)
  t.is(await sampleOf(registry, 'metering_rows_flushed_total', { table: 'usage' }), 1)
})
