import { METRICS, type Metric, metricNames } from '../metering/event-schema.js'
import { microsToDecimal } from '../metering/quantity.js'
import type { EnqueueSummary } from './enqueue.js'
import type { SamplePlan } from './sample-plan.js'
import { SAMPLE_PASSWORD, type SampleUser } from './sample-users.js'

/** What the sample command prints: as a table, or as this object with `--json`. */
export interface SampleReport {
  day: string
  seed: number
  enqueued: EnqueueSummary & { unique_events: number; retries: number }
  sample_user: { id: number; email: string; password: string }
  password: string
  expected: {
    user_id: number
    email: string
    metric: Metric
    external_user_id: string
    value: string
    unit: string
    events: number
  }[]
  totals: { metric: Metric; value: string; unit: string; events: number }[]
  curl: [string, string]
}

/** Gathers the report; values are exact decimal text, as `GET /api/usage` returns them. */
export function buildReport(
  plan: SamplePlan,
  users: readonly SampleUser[],
  enqueued: EnqueueSummary,
  port: number,
): SampleReport {
  const emails = new Map(users.map((user) => [user.id, user.email]))
  const first = users[0] as SampleUser
  const base = `http://127.0.0.1:${port}`
  const credentials = JSON.stringify({
    email: first.email,
    password: SAMPLE_PASSWORD,
    name: 'sample',
  })

  return {
    day: plan.day,
    seed: plan.seed,
    enqueued: { ...enqueued, unique_events: plan.events.length, retries: plan.retries },
    sample_user: { id: first.id, email: first.email, password: SAMPLE_PASSWORD },
    password: SAMPLE_PASSWORD,
    expected: plan.expected.rows.map((row) => ({
      user_id: row.userId,
      email: emails.get(row.userId) ?? '',
      metric: row.metric,
      external_user_id: row.externalUserId,
      value: microsToDecimal(row.micros),
      unit: METRICS[row.metric],
      events: row.events,
    })),
    totals: metricNames.map((metric) => ({
      metric,
      value: microsToDecimal(plan.expected.totals[metric].micros),
      unit: METRICS[metric],
      events: plan.expected.totals[metric].events,
    })),
    curl: [
      `TOKEN=$(curl -s -X POST ${base}/api/auth/tokens -H 'Content-Type: application/json' ` +
        `-d '${credentials}' | ` +
        `node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).data.token')`,
      `curl -s "${base}/api/usage?from=${plan.day}&to=${plan.day}" ` +
        '-H "Authorization: Bearer $TOKEN"',
    ],
  }
}

/** The report as text for a terminal. */
export function formatReport(report: SampleReport): string {
  const { enqueued } = report
  const rows = report.expected.map((row) => [
    String(row.user_id),
    row.email,
    row.metric,
    row.external_user_id || '(none)',
    row.value,
    row.unit,
    String(row.events),
  ])
  const totals = report.totals.map((total) => [
    total.metric,
    total.value,
    total.unit,
    String(total.events),
  ])

  return [
    `Sample day ${report.day} (seed ${report.seed})`,
    `Enqueued ${enqueued.jobs} jobs (${enqueued.singleJobs} single, ${enqueued.batchJobs} batch) ` +
      `carrying ${enqueued.events} events: ${enqueued.unique_events} unique, ` +
      `${enqueued.retries} sent again as retries.`,
    '',
    'Expected usage once the worker has counted them (each event once; running this seed',
    'again adds nothing, another seed for the same day adds its own events):',
    table(['user', 'email', 'metric', 'external user', 'value', 'unit', 'events'], rows, [0, 4, 6]),
    '',
    'Grand total per metric:',
    table(['metric', 'value', 'unit', 'events'], totals, [1, 3]),
    '',
    `Every sample user's password: ${report.password}`,
    `Sign in as ${report.sample_user.email} (user ${report.sample_user.id}) and read the usage:`,
    '',
    `  ${report.curl[0]}`,
    `  ${report.curl[1]}`,
    '',
  ].join('\n')
}

function table(headers: string[], rows: string[][], rightAligned: number[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] as number
        return rightAligned.includes(column) ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)]
    .map((text) => `  ${text}`)
    .join('\n')
}
