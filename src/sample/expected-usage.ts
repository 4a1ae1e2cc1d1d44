import { type Metric, metricNames } from '../metering/event-schema.js'
import type { GeneratedEvent } from './sample-day.js'

/** What the meter must hold for one user, metric and external user once the day is counted. */
export interface ExpectedRow {
  userId: number
  metric: Metric
  externalUserId: string
  /** Exact total in micro-units of the metric's unit. */
  micros: bigint
  events: number
}

export interface ExpectedUsage {
  rows: ExpectedRow[]
  /** Grand total per metric over every user. */
  totals: Record<Metric, { micros: bigint; events: number }>
}

/**
 * Sums the unique events exactly, in bigint micro-units, as the meter must:
 * a retried event is counted once, so callers pass each event once.
 */
export function expectedUsage(events: readonly GeneratedEvent[]): ExpectedUsage {
  const rows = new Map<string, ExpectedRow>()
  const totals = Object.fromEntries(
    metricNames.map((metric) => [metric, { micros: 0n, events: 0 }]),
  ) as ExpectedUsage['totals']

  for (const { event, micros } of events) {
    const externalUserId = event.external_user_id ?? ''
    const key = JSON.stringify([event.user_id, event.metric, externalUserId])
    const row = rows.get(key) ?? {
      userId: event.user_id,
      metric: event.metric,
      externalUserId,
      micros: 0n,
      events: 0,
    }
    row.micros += micros
    row.events += 1
    rows.set(key, row)

    totals[event.metric].micros += micros
    totals[event.metric].events += 1
  }

  return { rows: [...rows.values()].sort(byUserMetricExternal), totals }
}

function byUserMetricExternal(a: ExpectedRow, b: ExpectedRow): number {
  if (a.userId !== b.userId) return a.userId - b.userId
  if (a.metric !== b.metric) return a.metric < b.metric ? -1 : 1
  return a.externalUserId < b.externalUserId ? -1 : a.externalUserId > b.externalUserId ? 1 : 0
}
