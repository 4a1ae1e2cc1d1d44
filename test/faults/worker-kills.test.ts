import test from 'ava'
import { KILL_POINTS, MeterUnderFire, faultSeed as seed } from '../fixtures/chaos.js'
import { seededRandom } from '../fixtures/known-load.js'
import { stackSuite } from '../fixtures/stack.js'

const suite = stackSuite(test)

test('two workers SIGKILLed at every kill point lose nothing and double nothing', async (t) => {
  t.log(`seed ${seed}`)
  const run = await MeterUnderFire.start(suite.stack, { workers: 2, seed })
  const random = seededRandom(seed)

  try {
    // Each kill point twice, in a seeded order, while events keep arriving.
    const points = [...KILL_POINTS, ...KILL_POINTS].sort(() => random() - 0.5)
    for (const point of points) {
      const slot = run.slots[Math.floor(random() * run.slots.length)]
      await run.whileSending(() => run.kill(slot as (typeof run.slots)[number], point, random))
    }
    await run.load.send(run.tenant.producer, 250)

    const { failed, stored, expected } = await run.settle()
    t.log(JSON.stringify(run.report()))
    t.deepEqual(failed, [])
    t.deepEqual(stored, expected)
    // Every kill came at its point, none by the fallback.
    t.deepEqual(Object.keys(run.faults).sort(), KILL_POINTS.map((point) => `kill ${point}`).sort())
  } finally {
    await run.close()
  }
})
