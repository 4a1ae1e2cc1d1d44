import test from 'ava'
import { MeterUnderFire, faultSeed as seed } from '../fixtures/chaos.js'
import { stackSuite } from '../fixtures/stack.js'

const suite = stackSuite(test)

test('a worker frozen past its lock while another runs its jobs doubles nothing', async (t) => {
  t.log(`seed ${seed}`)
  const run = await MeterUnderFire.start(suite.stack, { workers: 2, seed })
  const [frozen] = run.slots as [(typeof run.slots)[number]]

  try {
    // Frozen once as its INSERT leaves, once at a random moment. The lock is
    // 2 s: in 5 s the other worker runs the frozen one's jobs and adopts its
    // batch; the frozen one then wakes and finishes what it was doing.
    await run.whileSending(() => run.stall(frozen, 5_000, true))
    await run.whileSending(() => run.stall(frozen, 5_000))

    const { failed, stored, expected } = await run.settle()
    t.log(JSON.stringify(run.report()))
    t.deepEqual(failed, [])
    t.deepEqual(stored, expected)
    t.true(run.logged('adopting batch') >= 1, 'the frozen worker’s batch was taken over')
    t.deepEqual(run.faults, { 'stall at insert': 1, stall: 1 }, 'each freeze came at its point')
  } finally {
    await run.close()
  }
})
