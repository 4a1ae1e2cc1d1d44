import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import type { Database } from '../../src/postgres/database.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { drained, type MeterRig, makeUser, startMeter, usageOf } from '../fixtures/metering.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

let postgres: FreshDatabase
let clickhouse: ClickHouse
let meter: MeterRig
let refusals = 0

/** The real database, except that its next `refusals` queries find it down. */
function flakyDatabase(db: Database): Database {
  const sequelize = new Proxy(db.sequelize, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (property !== 'query') return typeof value === 'function' ? value.bind(target) : value
      return (...args: unknown[]) => {
        if (refusals > 0) {
          refusals -= 1
          const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
            code: 'ECONNREFUSED',
          })
          return Promise.reject(down)
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return { ...db, sequelize }
}

test.before(async () => {
  postgres = await freshDatabase()
  clickhouse = await freshClickHouse()
  meter = await startMeter(flakyDatabase(postgres.db), clickhouse)
})

test.after.always(async () => {
  await meter?.close()
  await clickhouse?.close()
  await postgres?.close()
})

test('a job sent without retry options outlives a store outage and counts once', async (t) => {
  const userId = await makeUser(postgres.db)
  refusals = 3

  // Added as a producer in another language would: no attempts, no backoff.
  const job = await meter.queue.add('event', {
    event_id: `outage-${userId}`,
    type: 'usage',
    user_id: userId,
    metric: 'upload_bytes',
    value: 512,
    occurred_at: '2026-09-09T09:00:00Z',
  })
  await drained(meter.queue, 60_000)

  t.is(refusals, 0)
  t.is(await job.getState(), 'completed')
  t.deepEqual(await usageOf(clickhouse, userId), { 'upload_bytes//2026-09-09': '512' })
})
