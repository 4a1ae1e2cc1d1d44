import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { enqueueSample } from '../../src/sample/enqueue.js'
import { buildReport } from '../../src/sample/report.js'
import { planSampleDay } from '../../src/sample/sample-plan.js'
import { ensureSampleUsers } from '../../src/sample/sample-users.js'
import { readUsage } from '../../src/usage/usage-query.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { drained, type MeterRig, startMeter } from '../fixtures/metering.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

let postgres: FreshDatabase
let clickhouse: ClickHouse
let meter: MeterRig

test.before(async () => {
  postgres = await freshDatabase()
  clickhouse = await freshClickHouse()
  meter = await startMeter(postgres.db, clickhouse)
})

test.after.always(async () => {
  await meter?.close()
  await clickhouse?.close()
  await postgres?.close()
})

test.serial('sample users are created once and found again on the next run', async (t) => {
  const first = await ensureSampleUsers(postgres.db, 3)
  const again = await ensureSampleUsers(postgres.db, 3)

  t.deepEqual(again, first)
  t.deepEqual(
    first.map((user) => user.email),
    ['sample-01@nukevideo.test', 'sample-02@nukevideo.test', 'sample-03@nukevideo.test'],
  )
})

test.serial('the real worker counts a sample day to exactly the printed totals', async (t) => {
  const day = '2026-04-01'
  const users = await ensureSampleUsers(postgres.db, 4)
  const plan = planSampleDay({ day, seed: 7, userIds: users.map((user) => user.id) })
  t.true(plan.retries > 0)

  const enqueued = await enqueueSample(meter.producer, plan.jobs)
  await drained(meter.queue, 90_000)
  const report = buildReport(plan, users, enqueued, 3000)

  t.is(enqueued.events, plan.events.length + plan.retries)
  t.is(await meter.deadLetters.count(), 0)
  for (const user of users) {
    const counted = await readUsage(clickhouse, user.id, { from: '2026-03-31', to: '2026-04-02' })
    const printed = report.expected.filter((row) => row.user_id === user.id)
    t.deepEqual(
      counted.map((entry) => [entry.metric, entry.external_user_id, entry.date, entry.value]),
      printed.map((row) => [row.metric, row.external_user_id, day, row.value]),
    )
    t.deepEqual(
      counted.map((entry) => entry.events),
      printed.map((row) => row.events),
    )
  }
})
