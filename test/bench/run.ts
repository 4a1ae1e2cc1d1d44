/**
 * Runs every benchmark, each in a process of its own (chDB binds one data
 * directory per process, and no benchmark should inherit another's heap),
 * then writes BENCHMARKS.md, the chart it links and the raw results.
 * A missed target never fails the run; a benchmark that cannot run does.
 *
 *   npm run bench -- [--smoke] [--out DIR] [--only freshness,usage-read]
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { maskUrl } from '../../src/logger.js'
import { describeMachine } from './machine.js'
import { renderChart } from './report-chart.js'
import { renderMarkdown, type ScriptRun } from './report-markdown.js'
import type { BenchResult } from './result.js'
import { parseThroughputOutput } from './throughput-output.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

interface Script {
  name: string
  /** The script's arguments, given where it should write its JSON results. */
  args(smoke: boolean, reportFile: string): string[]
  results(stdout: string, reportFile: string, smoke: boolean): BenchResult[]
}

/** The worker throughput script predates the others: it prints, and its output is read. */
const throughputRounds = { full: 3, smoke: 1 }
const throughputEvents = { full: 20_000, smoke: 1_000 }

const reportingScript = (name: string): Script => ({
  name,
  args: (smoke, reportFile) => ['--report', reportFile, ...(smoke ? ['--smoke'] : [])],
  results: (_stdout, reportFile) => JSON.parse(readFileSync(reportFile, 'utf8')) as BenchResult[],
})

const scripts: Script[] = [
  {
    name: 'worker-throughput',
    args: (smoke) => {
      const size = smoke ? 'smoke' : 'full'
      return [
        '--events',
        String(throughputEvents[size]),
        '--rounds',
        String(throughputRounds[size]),
      ]
    },
    results: (stdout, _reportFile, smoke) =>
      parseThroughputOutput(stdout, throughputRounds[smoke ? 'smoke' : 'full']),
  },
  reportingScript('freshness'),
  reportingScript('usage-read'),
  reportingScript('users-route'),
  reportingScript('worker-memory'),
]

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string', default: root },
    only: { type: 'string' },
  },
})
const smoke = values.smoke as boolean
const out = path.resolve(values.out as string)
const only = values.only?.split(',').map((name) => name.trim())
const chosen = only ? scripts.filter((script) => only.includes(script.name)) : scripts
if (only && chosen.length !== only.length) {
  console.error(`--only takes some of: ${scripts.map((script) => script.name).join(', ')}`)
  process.exit(2)
}

const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
const machine = await describeMachine()
const scratch = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-bench-'))
const runs: ScriptRun[] = []
for (const script of chosen) {
  console.log(`\n== ${script.name}${smoke ? ' (smoke)' : ''}`)
  runs.push(await runScript(script, path.join(scratch, `${script.name}.json`)))
}
rmSync(scratch, { recursive: true, force: true })

const results = runs.flatMap((run) => run.results)
const chartFile = 'benchmarks.svg'
const title = smoke ? 'NukeVideo Metering benchmarks (smoke run)' : 'NukeVideo Metering benchmarks'
mkdirSync(out, { recursive: true })
writeFileSync(path.join(out, chartFile), renderChart(results, title))
writeFileSync(
  path.join(out, 'BENCHMARKS.md'),
  renderMarkdown({ machine, command: command(), startedAt, smoke, runs, chartFile }),
)
writeFileSync(
  path.join(out, 'benchmarks.json'),
  `${JSON.stringify({ machine, command: command(), startedAt, smoke, runs }, null, 2)}\n`,
)
console.log(`\nwrote ${path.join(out, 'BENCHMARKS.md')}`)
process.exit(runs.some((run) => run.failure) ? 1 : 0)

async function runScript(script: Script, reportFile: string): Promise<ScriptRun> {
  const load: [number, number] = [os.loadavg()[0] as number, 0]
  const started = performance.now()
  const file = path.join('test', 'bench', `${script.name}.ts`)
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', file, ...script.args(smoke, reportFile)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    process.stdout.write(chunk)
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    process.stderr.write(chunk)
  })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  load[1] = os.loadavg()[0] as number
  const seconds = (performance.now() - started) / 1_000

  if (code !== 0) {
    const failure = `exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`
    return { script: script.name, seconds, load, results: [], failure }
  }
  try {
    return {
      script: script.name,
      seconds,
      load,
      results: script.results(stdout, reportFile, smoke),
    }
  } catch (err) {
    const failure = `results unreadable: ${err instanceof Error ? err.message : String(err)}`
    return { script: script.name, seconds, load, results: [], failure }
  }
}

/** The command as it was typed, as near as the process can tell, credentials masked. */
function command(): string {
  const args = process.argv.slice(2).join(' ')
  const database = process.env.DATABASE_URL
  const env = database ? `DATABASE_URL=${maskUrl(database)} ` : ''
  if (process.env.npm_lifecycle_event === 'bench') {
    return `${env}npm run bench${args ? ` -- ${args}` : ''}`
  }
  return `${env}npx tsx test/bench/run.ts${args ? ` ${args}` : ''}`
}
