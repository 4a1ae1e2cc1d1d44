/**
 * A longer soak of the meter under fire: real worker processes over real
 * stores, a known load sent without pause, and faults drawn at random from a
 * printed seed — workers SIGKILLed at every kill point, frozen past their
 * lock, ClickHouse refusing, slow past the client timeout, or losing answers.
 * At the end every total is compared exactly and a report is printed.
 *
 *   npm run chaos -- --minutes 5 --workers 3 --rate 2000 --seed 42
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { isDeepStrictEqual, parseArgs } from 'node:util'
import { KILL_POINTS, MeterUnderFire } from '../fixtures/chaos.js'
import { seededRandom, type Totals } from '../fixtures/known-load.js'
import { Stack } from '../fixtures/stack.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    workers: { type: 'string', default: '3' },
    rate: { type: 'string', default: '2000' },
    seed: { type: 'string', default: String(Math.floor(Math.random() * 1e9)) },
  },
})
const minutes = Number(values.minutes)
const workers = Number(values.workers)
const rate = Number(values.rate)
const seed = Number(values.seed)
if (
  !(minutes > 0) ||
  !Number.isInteger(workers) ||
  workers < 2 ||
  !(rate > 0) ||
  !Number.isInteger(seed)
) {
  console.error(
    'usage: npm run chaos -- [--minutes N>0] [--workers N≥2] [--rate events/s] [--seed integer]',
  )
  process.exit(2)
}

/** One fault, drawn from the seed. */
async function strike(run: MeterUnderFire, random: () => number): Promise<void> {
  const slot = run.slots[Math.floor(random() * run.slots.length)] as (typeof run.slots)[number]
  const pick = random()
  if (pick < 0.5) {
    const point = KILL_POINTS[Math.floor(random() * KILL_POINTS.length)] ?? 'anytime'
    await run.kill(slot, point, random)
  } else if (pick < 0.65) {
    await run.stall(slot, 2_500 + Math.floor(random() * 3_000), random() < 0.5)
  } else if (pick < 0.75) {
    await run.clickhouseFault('refuse', 1_000 + Math.floor(random() * 10_000))
  } else if (pick < 0.88) {
    await run.clickhouseFault('slow', 2_000 + Math.floor(random() * 3_000), 2_500)
  } else {
    await run.clickhouseFault('lose', 500 + Math.floor(random() * 2_500))
  }
}

function differences(stored: Totals, expected: Totals): string[] {
  const keys = new Set([...Object.keys(stored), ...Object.keys(expected)])
  return [...keys]
    .filter((key) => !isDeepStrictEqual(stored[key], expected[key]))
    .map(
      (key) =>
        `${key}: expected ${JSON.stringify(expected[key])}, found ${JSON.stringify(stored[key])}`,
    )
}

async function main(): Promise<number> {
  console.log(`chaos soak: ${minutes} min, ${workers} workers, seed ${seed}`)
  const stack = await Stack.start()
  const run = await MeterUnderFire.start(stack, { workers, seed })
  const random = seededRandom(seed ^ 0x9e3779b9)
  const started = Date.now()
  const until = started + minutes * 60_000

  try {
    let sending = true
    // A steady rate, as a platform sends: a backlog would only measure the catch-up.
    const traffic = (async () => {
      while (sending) {
        const due = Date.now() + (200 / rate) * 1000
        await run.load.send(run.tenant.producer, 200)
        await sleep(Math.max(0, due - Date.now()))
      }
    })()
    while (Date.now() < until) {
      await strike(run, random)
      await sleep(Math.floor(random() * 2_000))
    }
    sending = false
    await traffic

    const { failed, stored, expected } = await run.settle(300_000)
    const report = run.report()
    const wrong = differences(stored.totals, expected.totals)
    const activityRight = isDeepStrictEqual(stored.activity, expected.activity)
    const ok = failed.length === 0 && wrong.length === 0 && activityRight

    console.log(`\nran ${((Date.now() - started) / 60_000).toFixed(1)} min, seed ${report.seed}`)
    console.log(`events sent (distinct ids): ${report.eventsSent}`)
    console.log('faults injected:')
    for (const [fault, count] of Object.entries(report.faults).sort()) {
      console.log(`  ${fault.padEnd(36)} ${count}`)
    }
    console.log(`totals expected: ${Object.keys(expected.totals).length} keys`)
    console.log(`totals matching exactly: ${Object.keys(expected.totals).length - wrong.length}`)
    for (const line of wrong) console.log(`  MISMATCH ${line}`)
    console.log(`activity entries: expected ${JSON.stringify(expected.activity)}`)
    console.log(`                  found    ${JSON.stringify(stored.activity)}`)
    for (const reason of failed) console.log(`  FAILED JOB ${reason}`)
    console.log(ok ? '\nPASS: nothing lost, nothing doubled' : '\nFAIL')
    return ok ? 0 : 1
  } finally {
    await run.close()
    await stack.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
