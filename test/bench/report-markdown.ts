import type { Machine } from './machine.js'
import {
  type BenchResult,
  formatFigureValue,
  formatNumber,
  formatSpread,
  formatValue,
  targetText,
  verdict,
} from './result.js'

/** One script of the suite as the runner saw it. */
export interface ScriptRun {
  script: string
  seconds: number
  /** 1-minute load average before and after the script. */
  load: [number, number]
  results: BenchResult[]
  /** Why the script produced no results, when it failed. */
  failure?: string
}

export interface SuiteRun {
  machine: Machine
  command: string
  startedAt: string
  smoke: boolean
  runs: ScriptRun[]
  chartFile: string
}

/** BENCHMARKS.md: the machine, a summary against the targets, then each benchmark in full. */
export function renderMarkdown(suite: SuiteRun): string {
  const { machine } = suite
  const loads = suite.runs.flatMap((run) => run.load)
  const lines = [
    '# Benchmarks',
    '',
    suite.smoke
      ? '**Smoke run**: tiny sizes that only show the scripts still work; the figures mean ' +
        'nothing.'
      : `Measured by \`${suite.command}\` on ${suite.startedAt}.`,
    '',
    'Every benchmark runs after a warm-up and is repeated; each figure is the median over the ' +
      'rounds, with the lowest and highest round in brackets. Each ratio compares with a ' +
      'baseline measured in the same run on the same machine, round by round. How to run: ' +
      '`npm run bench` for all (this file and the chart are rewritten), ' +
      '`npm run bench:<name>` for one (printed only).',
    '',
    `![Headline figure per benchmark against its target](${suite.chartFile})`,
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${machine.cpu}, ${machine.cores} cores |`,
    `| memory | ${machine.memoryGb} GB |`,
    `| OS | ${machine.os} |`,
    `| Node.js | ${machine.node} |`,
    `| Redis | ${machine.redis} |`,
    `| PostgreSQL | ${machine.postgres} |`,
    `| ClickHouse | ${machine.clickhouse} |`,
    `| command | \`${suite.command}\` |`,
    `| date | ${suite.startedAt} |`,
    `| load average (1 min) | ${formatNumber(Math.min(...loads))} to ` +
      `${formatNumber(Math.max(...loads))} across the run |`,
    '',
    Math.max(...loads) > machine.cores
      ? `The ${machine.cores} cores were shared with other work running at the same time, as ` +
        'the load average shows: absolute rates are low and noisy. Ratios are taken within ' +
        'each round, so a benchmark and its baseline saw the same machine.'
      : 'Ratios are taken within each round, so a benchmark and its baseline saw the same ' +
        'machine.',
    '',
    '## Summary',
    '',
    '| benchmark | measured | target | baseline in the same run | result |',
    '|---|---|---|---|---|',
    ...suite.runs.flatMap(summaryRows),
    '',
    ...suite.runs.flatMap(details),
  ]
  return `${lines.join('\n')}\n`
}

function summaryRows(run: ScriptRun): string[] {
  if (run.failure) return [`| ${run.script} | not measured | | | failed: ${oneLine(run.failure)} |`]
  return run.results.map(
    (result) =>
      `| ${result.title} | ${formatSpread(result.headline)} | ${targetText(result)} | ` +
      `${result.baseline ?? '—'} | ${verdict(result)} |`,
  )
}

function details(run: ScriptRun): string[] {
  const ran =
    `\`${run.script}\` ran ${Math.round(run.seconds)} s; load average ` +
    `${formatNumber(run.load[0])} before, ${formatNumber(run.load[1])} after.`
  if (run.failure) {
    return [`## ${run.script}`, '', `Failed: ${oneLine(run.failure)}`, '', ran, '']
  }
  return run.results.flatMap((result) => [
    `## ${result.title}`,
    '',
    result.method,
    '',
    '| figure | median | min | max |',
    '|---|---|---|---|',
    ...result.figures.map(
      (figure) =>
        `| ${figure.label} | ${formatFigureValue(figure.median, figure)} | ` +
        `${formatFigureValue(figure.min, figure)} | ${formatFigureValue(figure.max, figure)} |`,
    ),
    '',
    `Target ${targetText(result)} for ${result.headline.label}: ${verdict(result)}.`,
    '',
    ...result.notes.map((note) => `- ${note}`),
    ...(result.notes.length > 0 ? [''] : []),
    ...seriesTable(result),
    ran,
    '',
  ])
}

/** A quantity over time, about a dozen rows whatever the sampling rate. */
function seriesTable(result: BenchResult): string[] {
  const series = result.series
  if (!series || series.points.length === 0) return []
  const step = Math.max(1, Math.ceil(series.points.length / 12))
  const picked = series.points.filter(
    (_, index) => index % step === 0 || index === series.points.length - 1,
  )
  return [
    `| seconds since the load started | ${series.label} |`,
    '|---|---|',
    ...picked.map(
      (point) => `| ${Math.round(point.at)} | ${formatValue(point.value, series.unit)} |`,
    ),
    '',
  ]
}

function oneLine(text: string): string {
  return text.replaceAll(/\s+/g, ' ').replaceAll('|', '\\|').slice(0, 300)
}
