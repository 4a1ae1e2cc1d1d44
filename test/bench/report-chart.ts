import {
  type BenchResult,
  formatFigureValue,
  formatNumber,
  formatValue,
  meetsTarget,
  targetText,
} from './result.js'

const width = 900
const plotLeft = 16
const plotWidth = 560
const figureLeft = plotLeft + plotWidth + 24
const rowHeight = 64
const met = '#2e7d32'
const missed = '#c62828'
const ink = '#222'
const faint = '#888'

/**
 * The results as an SVG drawn by hand: per benchmark a bar of the headline
 * figure on its own scale, its min–max as a whisker and the target as a
 * dashed line; then the freshness percentiles and the worker's memory over
 * time when those ran.
 */
export function renderChart(results: BenchResult[], title: string): string {
  const parts: string[] = []
  let y = 34
  parts.push(text(16, 22, title, { size: 16, weight: 'bold' }))
  parts.push(
    text(16, y + 6, 'Headline figure per benchmark; each row on its own scale.', {
      colour: faint,
    }),
  )
  parts.push(text(figureLeft, y + 6, 'dashed line: target; whisker: min–max', { colour: faint }))
  y += 18

  for (const result of results) {
    parts.push(headlineRow(result, y))
    y += rowHeight
  }

  const withPercentiles = results.filter((result) => result.percentiles)
  for (const result of withPercentiles) {
    y += 18
    parts.push(percentilePanel(result, y))
    y += 50 + (result.percentiles?.points.length ?? 0) * 26
  }

  const withSeries = results.filter((result) => result.series && result.series.points.length > 1)
  for (const result of withSeries) {
    y += 18
    parts.push(seriesPanel(result, y))
    y += 200
  }

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" ` +
      `viewBox="0 0 ${width} ${y + 10}" font-family="Helvetica, Arial, sans-serif" ` +
      `font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}

function headlineRow(result: BenchResult, y: number): string {
  const { headline, target } = result
  const scale = plotWidth / (Math.max(target.value, headline.max, headline.median) * 1.15)
  const xOf = (value: number) => plotLeft + value * scale
  const colour = meetsTarget(result) ? met : missed
  const barTop = y + 20
  const middle = barTop + 11

  return [
    text(plotLeft, y + 12, result.title, { colour: ink, weight: 'bold' }),
    `<rect x="${plotLeft}" y="${barTop}" width="${round(xOf(headline.median) - plotLeft)}" ` +
      `height="22" fill="${colour}" opacity="0.85"/>`,
    line(xOf(headline.min), middle, xOf(headline.max), middle, ink, 1.5),
    line(xOf(headline.min), middle - 5, xOf(headline.min), middle + 5, ink, 1.5),
    line(xOf(headline.max), middle - 5, xOf(headline.max), middle + 5, ink, 1.5),
    dashed(xOf(target.value), barTop - 4, barTop + 26),
    line(plotLeft, barTop - 4, plotLeft, barTop + 26, faint, 1),
    text(
      figureLeft,
      barTop + 10,
      `${formatFigureValue(headline.median, headline)} · ` +
        `${meetsTarget(result) ? 'met' : 'missed'}`,
      { colour, weight: 'bold' },
    ),
    text(figureLeft, barTop + 25, `target ${targetText(result)}`, { colour: faint }),
    text(
      plotLeft,
      barTop + 36,
      `${headline.label}; scale 0–${formatNumber(plotWidth / scale)}${unitSuffix(headline.unit)}`,
      { colour: faint, size: 10 },
    ),
  ].join('\n')
}

function percentilePanel(result: BenchResult, y: number): string {
  const panel = result.percentiles
  if (!panel) return ''
  const top = Math.max(result.target.value, ...panel.points.map((point) => point.value)) * 1.15
  const scale = plotWidth / top
  const left = plotLeft + 40
  const targetX = left + result.target.value * scale
  const parts = [text(plotLeft, y + 14, `${result.title}: ${panel.label}`, { weight: 'bold' })]

  panel.points.forEach((point, index) => {
    const rowY = y + 26 + index * 26
    const fill = point.value <= result.target.value ? met : missed
    parts.push(text(plotLeft, rowY + 14, point.name, { colour: ink }))
    parts.push(
      `<rect x="${left}" y="${rowY}" width="${round(point.value * scale)}" height="18" ` +
        `fill="${fill}" opacity="0.85"/>`,
    )
    const atCap = panel.cap !== undefined && point.value >= panel.cap ? '≥' : ''
    const shown = `${atCap}${formatValue(point.value, panel.unit)}`
    parts.push(text(figureLeft, rowY + 14, shown, { colour: ink }))
  })
  const bottom = y + 26 + panel.points.length * 26
  parts.push(
    dashed(targetX, y + 22, bottom),
    text(targetX - 30, bottom + 14, `target ${targetText(result)}`, { colour: faint }),
  )
  return parts.join('\n')
}

function dashed(x: number, y1: number, y2: number): string {
  return (
    `<line x1="${round(x)}" y1="${round(y1)}" x2="${round(x)}" y2="${round(y2)}" ` +
    `stroke="${ink}" stroke-width="2" stroke-dasharray="4 3"/>`
  )
}

function unitSuffix(unit: string): string {
  return unit === '×' ? '×' : ` ${unit}`
}

function seriesPanel(result: BenchResult, y: number): string {
  const series = result.series
  if (!series) return ''
  const left = 70
  const right = width - 30
  const plotTop = y + 30
  const plotBottom = y + 160
  const values = series.points.map((point) => point.value)
  const low = Math.min(...values) * 0.95
  const high = Math.max(...values) * 1.05
  const last = series.points.at(-1)?.at ?? 1
  const xOf = (at: number) => left + (at / last) * (right - left)
  const yOf = (value: number) =>
    plotBottom - ((value - low) / (high - low)) * (plotBottom - plotTop)
  const path = series.points.map((point) => `${round(xOf(point.at))},${round(yOf(point.value))}`)

  return [
    text(16, y + 14, `${result.title}: ${series.label} over time`, { weight: 'bold' }),
    line(left, plotTop, left, plotBottom, faint, 1),
    line(left, plotBottom, right, plotBottom, faint, 1),
    text(12, plotTop + 4, `${formatNumber(high)} ${series.unit}`, { colour: faint, size: 10 }),
    text(12, plotBottom, `${formatNumber(low)} ${series.unit}`, { colour: faint, size: 10 }),
    text(left, plotBottom + 16, '0 s', { colour: faint, size: 10 }),
    text(left + 200, plotBottom + 16, 'seconds since the load started', { colour: faint }),
    text(right - 40, plotBottom + 16, `${formatNumber(last)} s`, { colour: faint, size: 10 }),
    `<polyline fill="none" stroke="${meetsTarget(result) ? met : missed}" stroke-width="2" ` +
      `points="${path.join(' ')}"/>`,
  ].join('\n')
}

function text(
  x: number,
  y: number,
  content: string,
  style: { size?: number; weight?: string; colour?: string } = {},
): string {
  const size = style.size ? ` font-size="${style.size}"` : ''
  const weight = style.weight ? ` font-weight="${style.weight}"` : ''
  const fill = ` fill="${style.colour ?? ink}"`
  return `<text x="${round(x)}" y="${round(y)}"${size}${weight}${fill}>${escapeXml(content)}</text>`
}

function line(x1: number, y1: number, x2: number, y2: number, colour: string, widthPx: number) {
  return (
    `<line x1="${round(x1)}" y1="${round(y1)}" x2="${round(x2)}" y2="${round(y2)}" ` +
    `stroke="${colour}" stroke-width="${widthPx}"/>`
  )
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

function escapeXml(content: string): string {
  return content.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}
