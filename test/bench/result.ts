import { writeFileSync } from 'node:fs'

/** A figure over repeated rounds: the median, with the lowest and highest seen. */
export interface Spread {
  median: number
  min: number
  max: number
}

export interface Figure extends Spread {
  label: string
  /** `×` for ratios, else a unit such as `events/s`, `req/s`, `ms`, `s`, `MB`. */
  unit: string
  /** Samples were cut off here: a value at the cap means at least that much. */
  cap?: number
}

/** What the headline figure must reach: `at least` for rates, `at most` for times and growth. */
export interface Target {
  bound: 'at least' | 'at most'
  value: number
}

/** One benchmark's outcome, as a script hands it to the runner. */
export interface BenchResult {
  /** Stable name, e.g. `usage-read`; the report and its check key on it. */
  id: string
  title: string
  /** What ran against what, and how: one paragraph for the report. */
  method: string
  /** What the headline is measured against in the same run; null when it stands alone. */
  baseline: string | null
  /** The figure compared with the target. */
  headline: Figure
  target: Target
  /** Every figure behind the headline, baseline included. */
  figures: Figure[]
  /** Latency percentiles, for the chart. */
  percentiles?: {
    label: string
    unit: string
    cap?: number
    points: { name: string; value: number }[]
  }
  /** A quantity over time (seconds since the start), for the chart and the report. */
  series?: { label: string; unit: string; points: { at: number; value: number }[] }
  notes: string[]
}

/** Median, minimum and maximum of one or more samples. */
export function spread(samples: number[]): Spread {
  if (samples.length === 0) throw new Error('no samples to summarise')
  const sorted = [...samples].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number }
}

/** The nearest-rank percentile `p` (0–100) of the samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) throw new Error('no samples for a percentile')
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1] as number
}

export function meetsTarget(result: BenchResult): boolean {
  const { median } = result.headline
  return result.target.bound === 'at least'
    ? median >= result.target.value
    : median <= result.target.value
}

/** `≥0.9×`, `≤2 s`. */
export function targetText(result: BenchResult): string {
  const sign = result.target.bound === 'at least' ? '≥' : '≤'
  return `${sign}${formatValue(result.target.value, result.headline.unit)}`
}

/** Met, or missed by how much: the gap in the headline's unit and as a share of the target. */
export function verdict(result: BenchResult): string {
  if (meetsTarget(result)) return 'met'
  const { headline } = result
  const gap = Math.abs(headline.median - result.target.value)
  const share = Math.round((gap / result.target.value) * 100)
  const side = result.target.bound === 'at least' ? 'short' : 'over'
  const atLeast = isCapped(headline.median, headline) ? 'at least ' : ''
  const gapText = formatValue(gap, headline.unit)
  return `missed: ${atLeast}${gapText} ${side} (${atLeast}${share}% of the target)`
}

function isCapped(value: number, figure: { cap?: number }): boolean {
  return figure.cap !== undefined && value >= figure.cap
}

/** A value of a figure with its unit, marked `≥` when it sits at the figure's cap. */
export function formatFigureValue(value: number, figure: Figure): string {
  return `${isCapped(value, figure) ? '≥' : ''}${formatValue(value, figure.unit)}`
}

/** A number rounded for reading: three significant figures, thousands separated. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })
}

export function formatValue(value: number, unit: string): string {
  return unit === '×' ? `${formatNumber(value)}×` : `${formatNumber(value)} ${unit}`
}

/** `1.23× (1.10–1.40)`. */
export function formatSpread(figure: Figure): string {
  const bound = (value: number) => `${isCapped(value, figure) ? '≥' : ''}${formatNumber(value)}`
  return `${formatFigureValue(figure.median, figure)} (${bound(figure.min)}–${bound(figure.max)})`
}

/** The lines a script prints for its results. */
export function printResult(result: BenchResult): void {
  console.log(`${result.title} [${result.id}]`)
  for (const figure of result.figures) {
    console.log(`  ${figure.label.padEnd(36)} ${formatSpread(figure)}`)
  }
  console.log(`  target ${targetText(result)}: ${verdict(result)}`)
  for (const note of result.notes) console.log(`  note: ${note}`)
}

/** Writes results where the runner asked for them (`--report <file>`), as JSON. */
export function writeResults(file: string | undefined, results: BenchResult[]): void {
  if (file) writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
}
