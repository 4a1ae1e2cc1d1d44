import test from 'ava'
import { eventSchema, MAX_BATCH_EVENTS, parseEvent } from '../../src/metering/event-schema.js'
import { microsToDecimal } from '../../src/metering/quantity.js'
import type { SampleJob } from '../../src/sample/job-plan.js'
import { buildReport, formatReport } from '../../src/sample/report.js'
import type { SampleEvent } from '../../src/sample/sample-day.js'
import { withOffset } from '../../src/sample/sample-day.js'
import { planSampleDay } from '../../src/sample/sample-plan.js'
import { utcDayOf } from '../../src/time/utc-day.js'

const day = '2026-04-01'
const userIds = Array.from({ length: 36 }, (_, index) => 100 + index)
const plan = planSampleDay({ day, seed: 1, userIds })

const sentEvents = (jobs: SampleJob[]): SampleEvent[] =>
  jobs.flatMap((job) => (job.name === 'batch' ? job.events : [job.event]))

test('the same day, seed and users give the same plan; another seed gives other events', (t) => {
  t.deepEqual(planSampleDay({ day, seed: 1, userIds }), plan)

  const other = planSampleDay({ day, seed: 2, userIds })
  const ids = new Set(plan.events.map(({ event }) => event.event_id))
  t.false(other.events.some(({ event }) => ids.has(event.event_id)))
})

test('every event sent passes the worker schema and has an id unique among the day', (t) => {
  for (const event of sentEvents(plan.jobs)) {
    t.true(eventSchema.safeParse(event).success, event.event_id)
  }
  const ids = plan.events.map(({ event }) => event.event_id)
  t.is(new Set(ids).size, ids.length)
})

test('every occurred_at falls on the day in UTC, written with several offsets', (t) => {
  const events = sentEvents(plan.jobs)
  t.true(events.every((event) => utcDayOf(Date.parse(event.occurred_at)) === day))

  const suffixes = new Set(events.map((event) => event.occurred_at.slice(23)))
  for (const suffix of ['Z', '+00:00', '-05:00', '+09:00', '+05:30']) t.true(suffixes.has(suffix))
  t.true(events.some((event) => !event.occurred_at.startsWith(day)))
})

test('an offset writes the same instant in local time', (t) => {
  const instant = Date.parse('2026-04-01T02:00:00.250Z')
  t.is(withOffset(instant, -300), '2026-03-31T21:00:00.250-05:00')
  t.is(withOffset(instant, 330), '2026-04-01T07:30:00.250+05:30')
  t.is(withOffset(instant, 0), '2026-04-01T02:00:00.250Z')
  t.is(withOffset(instant, 0, true), '2026-04-01T02:00:00.250+00:00')
})

test('3 to 5 % of events are sent again, with the same content, in a later job', (t) => {
  const originals = new Map(plan.events.map(({ event }) => [event.event_id, event]))
  const firstJob = new Map<string, number>()
  let laterBatches = 0
  let laterSingles = 0

  plan.jobs.forEach((job, index) => {
    const events = job.name === 'batch' ? job.events : [job.event]
    t.is(new Set(events.map((event) => event.event_id)).size, events.length)
    for (const event of events) {
      t.deepEqual(event, originals.get(event.event_id))
      const first = firstJob.get(event.event_id)
      if (first === undefined) {
        firstJob.set(event.event_id, index)
      } else {
        t.true(index > first)
        if (job.name === 'batch') laterBatches += 1
        else laterSingles += 1
      }
    }
  })

  const share = plan.retries / plan.events.length
  t.true(share >= 0.03 && share <= 0.05, String(share))
  t.is(laterBatches + laterSingles, plan.retries)
  t.true(laterBatches > 0 && laterSingles > 0)
})

test('single-event jobs and batch jobs of at most 1,000 events are mixed', (t) => {
  const batches = plan.jobs.filter((job) => job.name === 'batch')
  t.true(batches.length > 5)
  t.true(plan.jobs.length - batches.length > 100)
  t.true(batches.every((job) => job.events.length >= 1 && job.events.length <= MAX_BATCH_EVENTS))
})

test('uploads span kilobytes to tens of gigabytes; encodes carry microsecond fractions', (t) => {
  const uploads = plan.events.filter(({ event }) => event.metric === 'upload_bytes')
  const bytes = uploads.map(({ micros }) => micros / 1_000_000n)
  t.true(bytes.some((size) => size < 1_000_000n))
  t.true(bytes.some((size) => size > 10_000_000_000n))
  t.true(bytes.every((size) => size <= 50_000_000_000n))
  t.true(uploads.some(({ event }) => typeof event.value === 'string'))

  const encodes = plan.events.filter(({ event }) => event.metric !== 'upload_bytes')
  t.true(encodes.some(({ micros }) => micros % 1_000n !== 0n))
  t.true(encodes.some(({ event }) => event.metric === 'encoding_gpu'))
  t.true(encodes.some(({ event }) => event.metric === 'encoding_cpu'))
  t.true(plan.events.some(({ event }) => event.external_user_id === undefined))
})

test('expected totals equal a recomputation from the unique events sent', (t) => {
  const seen = new Set<string>()
  const rows = new Map<string, { micros: bigint; events: number }>()
  const totals = new Map<string, bigint>()
  for (const raw of sentEvents(plan.jobs)) {
    if (seen.has(raw.event_id)) continue
    seen.add(raw.event_id)
    const parsed = parseEvent(raw, 0)
    if (!parsed.ok || parsed.record.kind !== 'usage') return t.fail(raw.event_id)

    const { record } = parsed
    const key = `${record.userId}/${record.metric}/${record.externalUserId}`
    const row = rows.get(key) ?? { micros: 0n, events: 0 }
    rows.set(key, { micros: row.micros + record.micros, events: row.events + 1 })
    totals.set(record.metric, (totals.get(record.metric) ?? 0n) + record.micros)
  }

  const expected = plan.expected.rows.map((row) => [
    `${row.userId}/${row.metric}/${row.externalUserId}`,
    { micros: row.micros, events: row.events },
  ])
  t.deepEqual(Object.fromEntries(expected), Object.fromEntries(rows))
  const planTotals = Object.entries(plan.expected.totals).map(([metric, total]) => [
    metric,
    total.micros,
  ])
  t.deepEqual(Object.fromEntries(planTotals), Object.fromEntries(totals))
})

test('the report prints exact totals, the sample credentials and a curl pair on the port', (t) => {
  const users = userIds.map((id, index) => ({ id, email: `s${index}@x.test`, name: 's' }))
  const enqueued = { jobs: 1, singleJobs: 1, batchJobs: 0, events: 1 }
  const report = buildReport(plan, users, enqueued, 4321)

  t.deepEqual(
    report.totals.map((total) => total.value),
    ['upload_bytes', 'encoding_cpu', 'encoding_gpu'].map((metric) =>
      microsToDecimal(plan.expected.totals[metric as 'upload_bytes'].micros),
    ),
  )
  t.deepEqual(report.sample_user, { id: 100, email: 's0@x.test', password: report.password })
  t.true(report.curl[0].includes('http://127.0.0.1:4321/api/auth/tokens'))
  t.true(report.curl[1].includes(`http://127.0.0.1:4321/api/usage?from=${day}&to=${day}`))

  const text = formatReport(report)
  t.true(text.includes(report.curl[1]))
  t.true(text.includes(report.totals[0]?.value as string))
})
