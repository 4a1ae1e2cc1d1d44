import test from 'ava'
import { MeterUnderFire, faultSeed as seed } from '../fixtures/chaos.js'
import type { ProxyMode } from '../fixtures/fault-proxy.js'
import { stackSuite } from '../fixtures/stack.js'

const suite = stackSuite(test)

/**
 * Sends a known load while every worker's ClickHouse misbehaves for `ms`,
 * then compares every total. Workers time out requests after 2 s.
 */
async function underFault(mode: ProxyMode, ms: number, delayMs = 0) {
  const run = await MeterUnderFire.start(suite.stack, { workers: 2, seed })
  try {
    await run.load.send(run.tenant.producer, 300)
    const sending = run.load.send(run.tenant.producer, 600)
    await run.clickhouseFault(mode, ms, delayMs)
    await sending
    await run.load.send(run.tenant.producer, 300)

    const settled = await run.settle()
    const counts = run.slots.map((slot) => slot.proxy.counts)
    return { ...settled, retries: run.logged('retrying'), counts, report: run.report() }
  } finally {
    await run.close()
  }
}

test.serial('refused connections delay the flush, and every event counts once', async (t) => {
  t.log(`seed ${seed}`)
  const { failed, stored, expected, retries } = await underFault('refuse', 3_000)

  t.deepEqual(failed, [])
  t.deepEqual(stored, expected)
  t.true(retries > 0, 'inserts were refused and retried')
})

test.serial('a 30-second outage loses and doubles nothing', async (t) => {
  t.log(`seed ${seed}`)
  const { failed, stored, expected, retries } = await underFault('refuse', 30_000)

  t.deepEqual(failed, [])
  t.deepEqual(stored, expected)
  t.true(retries > 0)
})

test.serial('a server slower than the client timeout stores each batch once', async (t) => {
  t.log(`seed ${seed}`)
  const { failed, stored, expected, retries, counts } = await underFault('slow', 5_000, 3_000)

  t.deepEqual(failed, [])
  t.deepEqual(stored, expected)
  t.true(retries > 0, 'requests timed out and were retried')
  t.true(counts.some((count) => count.slowed > 0))
})

test.serial('inserts stored on the server whose answers were lost count once', async (t) => {
  t.log(`seed ${seed}`)
  const { failed, stored, expected, retries, counts } = await underFault('lose', 3_000)

  t.deepEqual(failed, [])
  t.deepEqual(stored, expected)
  t.true(retries > 0)
  t.true(
    counts.some((count) => count.lost > 0),
    'answers were lost after the server acted',
  )
})

test.serial('a worker stopped while its ClickHouse is down hands its batch on', async (t) => {
  t.log(`seed ${seed}`)
  const run = await MeterUnderFire.start(suite.stack, { workers: 2, seed })
  const [stopping, other] = run.slots as [(typeof run.slots)[number], (typeof run.slots)[number]]

  try {
    await stopping.proxy.set('refuse')
    await other.proxy.set('refuse')
    await run.load.send(run.tenant.producer, 400)
    await other.proxy.set('pass')

    // It stops taking jobs, retries until its close deadline, then leaves
    // its claimed batch journalled for the other worker and exits.
    t.is(await stopping.process.stop(), 0)
    await run.load.send(run.tenant.producer, 200)
    const { failed, stored, expected } = await run.settle()

    t.deepEqual(failed, [])
    t.deepEqual(stored, expected)
    t.true(run.logged('adopting batch') >= 1, 'the stopped worker’s batch was adopted')
  } finally {
    await run.close()
  }
})
