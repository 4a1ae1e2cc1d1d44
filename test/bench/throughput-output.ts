import type { BenchResult, Figure, Spread } from './result.js'

/**
 * Reads what test/bench/worker-throughput.ts prints, one block per job shape:
 *
 *   single-event jobs, 20000 events, concurrency 500:
 *     no-op BullMQ worker  4,516 (4,312–4,700) events/s
 *     metering worker      2,121 (2,050–2,200) events/s
 *     ratio (median)       0.47× (0.45–0.50)
 *
 * The ratio's range is optional. Throws when a block is missing or malformed,
 * so a change to the script's output shows up in the smoke test.
 */
export function parseThroughputOutput(output: string, rounds: number): BenchResult[] {
  const blocks = output
    .split(/^(?=(?:single|batch)-event jobs,)/m)
    .filter((block) => headerPattern.test(block))
  const results = blocks.map((block) => parseBlock(block, rounds))
  for (const shape of ['single', 'batch']) {
    if (!results.some((result) => result.id === `worker-${shape}`)) {
      throw new Error(`no ${shape}-event block in the worker throughput output`)
    }
  }
  return results
}

const headerPattern = /^(single|batch)-event jobs, (\d+) events, concurrency (\d+):/
const ratePattern = /^\s+(.+?)\s+([\d,.]+) \(([\d,.]+)–([\d,.]+)\) events\/s\s*$/
const ratioPattern = /^\s+ratio \(median\)\s+([\d.]+)×(?: \(([\d.]+)–([\d.]+)\))?\s*$/

function parseBlock(block: string, rounds: number): BenchResult {
  const lines = block.split('\n')
  const header = headerPattern.exec(lines[0] ?? '')
  if (!header) throw new Error(`unreadable worker throughput header: ${lines[0]}`)
  const [, shape, events, concurrency] = header as unknown as [string, string, string, string]

  const rates: Figure[] = []
  let ratio: Spread | undefined
  for (const line of lines.slice(1)) {
    const rate = ratePattern.exec(line)
    if (rate) {
      const [, label, median, min, max] = rate as unknown as string[]
      rates.push({ label: `${label}`, unit: 'events/s', ...numbers(median, min, max) })
    }
    const found = ratioPattern.exec(line)
    if (found) {
      const [, median, min, max] = found
      ratio = numbers(median, min ?? median, max ?? median)
    }
  }
  if (rates.length !== 2 || !ratio) throw new Error(`unreadable worker throughput block:\n${block}`)

  const single = shape === 'single'
  const headline: Figure = { label: 'ratio metering / no-op', unit: '×', ...ratio }
  return {
    id: `worker-${shape}`,
    title: single
      ? 'Worker throughput, single-event jobs, pre-filled queue'
      : 'Worker throughput, batch jobs of 1,000 events, pre-filled queue',
    method:
      `test/bench/worker-throughput.ts: ${Number(events).toLocaleString('en-US')} events ` +
      `${single ? 'as single-event jobs' : 'in batch jobs of 1,000'} enqueued before the ` +
      `worker starts; seconds from the worker's start until it completed every job. The ` +
      `metering worker runs in the benchmark process over PostgreSQL, Redis and the embedded ` +
      `chDB, with the settings the script gives it; the baseline is a BullMQ worker whose ` +
      `processor does nothing, on the same Redis with the same concurrency (${concurrency}) ` +
      `and the same jobs. One warm-up round, then ${rounds} rounds, the order alternating; each ` +
      `round's metering rate over its no-op rate.`,
    baseline: 'a no-op BullMQ worker, same Redis, same concurrency, same jobs',
    headline,
    target: { bound: 'at least', value: single ? 0.9 : 0.6 },
    figures: [...rates, headline],
    notes: [],
  }
}

function numbers(...texts: (string | undefined)[]): Spread {
  const [median, min, max] = texts.map((text) => Number(String(text).replaceAll(',', '')))
  if (![median, min, max].every((n) => Number.isFinite(n))) {
    throw new Error(`not numbers: ${texts.join(', ')}`)
  }
  return { median: median as number, min: min as number, max: max as number }
}
