import { parseArgs } from 'node:util'
import { type BenchResult, printResult, writeResults } from './result.js'

/** A size of a benchmark: its value in the full run and in the smoke run. */
export interface Size {
  full: number
  smoke: number
  /** What the number counts, for `--help`. */
  means: string
}

/**
 * The command line every benchmark script shares: `--smoke` picks tiny sizes,
 * `--report <file>` writes the results as JSON for the runner, and each size
 * can be set on its own (`--rounds 5`). Prints the results, then exits: the
 * stores' clients may keep handles open that nothing here needs any more.
 */
export async function runBenchmark<K extends string>(
  script: string,
  sizes: Record<K, Size>,
  measure: (size: Record<K, number>) => Promise<BenchResult[]>,
): Promise<never> {
  const names = Object.keys(sizes) as K[]
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      report: { type: 'string' },
      help: { type: 'boolean', default: false },
      ...Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
    },
  })
  if (values.help) {
    console.log(`usage: npx tsx test/bench/${script}.ts [--smoke] [--report file.json]`)
    for (const name of names) {
      const { full, smoke, means } = sizes[name]
      console.log(`  --${name} N   ${means} (full ${full}, smoke ${smoke})`)
    }
    process.exit(0)
  }

  const size = {} as Record<K, number>
  for (const name of names) {
    const given = (values as Record<string, unknown>)[name] as string | undefined
    const chosen =
      given === undefined ? sizes[name][values.smoke ? 'smoke' : 'full'] : Number(given)
    if (!(chosen > 0)) {
      console.error(`--${name} must be a positive number, not ${given}`)
      process.exit(2)
    }
    size[name] = chosen
  }

  try {
    const results = await measure(size)
    for (const result of results) printResult(result)
    writeResults(values.report as string | undefined, results)
    process.exit(0)
  } catch (err) {
    console.error(err)
    process.exit(1)
  }
}
