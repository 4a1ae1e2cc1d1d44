import test from 'ava'
import { enqueueSample } from '../../src/sample/enqueue.js'
import { buildReport } from '../../src/sample/report.js'
import { planSampleDay } from '../../src/sample/sample-plan.js'
import { ensureSampleUsers } from '../../src/sample/sample-users.js'
import { readUsage } from '../../src/usage/usage-query.js'
import { drained, meterSuite } from '../fixtures/metering.js'

const suite = meterSuite(test)

test.serial('sample users are created once and found again on the next run', async (t) => {
  const first = await ensureSampleUsers(suite.postgres.db, 3)
  const again = await ensureSampleUsers(suite.postgres.db, 3)

  t.deepEqual(again, first)
  t.deepEqual(
    first.map((user) => user.email),
    ['sample-01@nukevideo.test', 'sample-02@nukevideo.test', 'sample-03@nukevideo.test'],
  )
})

test.serial('the real worker counts a sample day to exactly the printed totals', async (t) => {
  const day = '2026-04-01'
  const users = await ensureSampleUsers(suite.postgres.db, 4)
  const plan = planSampleDay({ day, seed: 7, userIds: users.map((user) => user.id) })
  t.true(plan.retries > 0)

  const enqueued = await enqueueSample(suite.meter.producer, plan.jobs)
  await drained(suite.meter.queue, 90_000)
  const report = buildReport(plan, users, enqueued, 3000)

  t.is(enqueued.events, plan.events.length + plan.retries)
  t.is(await suite.meter.deadLetters.count(), 0)
  for (const user of users) {
    const counted = await readUsage(suite.clickhouse, user.id, {
      from: '2026-03-31',
      to: '2026-04-02',
    })
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
