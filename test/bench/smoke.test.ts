import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import type { ScriptRun } from './report-markdown.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** Every benchmark the suite reports, by id; the worker throughput script yields two. */
const benchmarks = [
  'worker-single',
  'worker-batch',
  'freshness',
  'usage-read',
  'users-route',
  'users-route-in-process',
  'worker-memory',
]

test('the benchmark suite runs at tiny sizes and reports each benchmark in numbers', async (t) => {
  t.timeout(10 * 60_000)
  const out = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-bench-smoke-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/bench/run.ts', '--smoke', '--out', out],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  child.stderr.on('data', (chunk) => {
    output += chunk
  })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  t.is(code, 0, output.slice(-4_000))

  const { runs } = JSON.parse(readFileSync(path.join(out, 'benchmarks.json'), 'utf8')) as {
    runs: ScriptRun[]
  }
  t.deepEqual(
    runs.map((run) => run.failure),
    runs.map(() => undefined),
  )
  const results = runs.flatMap((run) => run.results)
  t.deepEqual(results.map((result) => result.id).sort(), [...benchmarks].sort())

  for (const result of results) {
    const figures = [result.headline, ...result.figures]
    const numbers = figures.flatMap((figure) => [figure.median, figure.min, figure.max])
    t.true(figures.length >= 3, result.id)
    t.true(numbers.every(Number.isFinite), `${result.id}: ${JSON.stringify(figures)}`)
  }

  const report = readFileSync(path.join(out, 'BENCHMARKS.md'), 'utf8')
  t.true(report.includes('![Headline figure per benchmark against its target](benchmarks.svg)'))
  for (const result of results) {
    const row = report.split('\n').find((line) => line.startsWith(`| ${result.title} |`))
    // A figure cut off at a limit reads `≥30.0 s (≥30.0–≥30.0)`.
    t.regex(row ?? '', /\| ≥?[\d,.]+(×| \S+) \(≥?[\d,.]+–≥?[\d,.]+\) \|/, result.id)
  }
  const chart = readFileSync(path.join(out, 'benchmarks.svg'), 'utf8')
  t.true(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'))
  t.true(chart.trimEnd().endsWith('</svg>'))
})
