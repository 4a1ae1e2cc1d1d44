/**
 * Freshness: how long an event takes from enqueue until `GET /api/usage`
 * shows it, with real `web` and `worker` processes on default settings and a
 * steady 5,000 events/s. Marker events, each for an external user of its
 * own, are enqueued among the load; a poller reads the usage of their day
 * and notes when each marker appears.
 *
 *   npm run bench:freshness -- [--smoke] [--rate N] [--seconds N] [--rounds N] [--patience N]
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { backlog, type MeteringStack, startMeteringStack, storedEvents } from './metering-stack.js'
import { type BenchResult, type Figure, percentile, spread } from './result.js'
import { runBenchmark } from './script.js'
import { SteadyLoad } from './steady-load.js'

const markersPerSecond = 10
const pollPauseMs = 20
/** How long each poll took, over the whole run: the resolution of every latency. */
const pollMs: number[] = []

await runBenchmark(
  'freshness',
  {
    rate: { full: 5_000, smoke: 500, means: 'events per second, markers included' },
    warmup: { full: 20, smoke: 2, means: 'seconds of load before the first measured round' },
    seconds: { full: 40, smoke: 3, means: 'seconds of markers per round' },
    rounds: { full: 3, smoke: 2, means: 'measured rounds' },
    patience: { full: 30, smoke: 5, means: 'seconds a marker may take; later is counted so' },
  },
  async (size) => {
    const rig = await startMeteringStack({ web: true, loadUsers: 20 })
    try {
      const load = new SteadyLoad({
        producer: rig.tenant.producer,
        users: rig.loadUsers,
        eventsPerSecond: size.rate - markersPerSecond,
        label: rig.runLabel,
      })
      load.start()

      // Round 0 is the warm-up: its markers run through the same path, unmeasured.
      const rounds: number[][] = []
      let unseen = 0
      for (let round = 0; round <= size.rounds; round++) {
        const seconds = round === 0 ? size.warmup : size.seconds
        const latencies = await markerRound(rig, round, seconds, size.patience * 1_000)
        if (round > 0) {
          rounds.push(latencies.map((ms) => ms / 1_000))
          unseen += latencies.filter((ms) => ms >= size.patience * 1_000).length
        }
      }

      const sent = await load.stop()
      const written = (await storedEvents(rig.tenant)) / sent.seconds
      const left = await backlog(rig.tenant)
      const flow = { sent: sent.eventsPerSecond, written, lateTicks: load.lateTicks, left }
      return [report(rounds, size, flow, unseen)]
    } finally {
      await rig.close()
    }
  },
)

/**
 * Sends markers for `seconds` and polls until each is visible; returns each
 * marker's enqueue-to-visible time in milliseconds, at most `patienceMs`.
 */
async function markerRound(
  { tenant, runLabel }: MeteringStack,
  round: number,
  seconds: number,
  patienceMs: number,
): Promise<number[]> {
  const day = new Date(Date.UTC(2026, 0, 1 + round)).toISOString().slice(0, 10)
  const enqueuedAt: number[] = []
  const seenAt = new Map<number, number>()
  let sending = true
  let pollFailure: unknown

  const poller = (async () => {
    const url = `${tenant.baseUrl}/api/usage?from=${day}&to=${day}&metric=encoding_cpu`
    const headers = { authorization: `Bearer ${tenant.token}` }
    let deadline = Number.POSITIVE_INFINITY
    while (sending || (seenAt.size < enqueuedAt.length && performance.now() < deadline)) {
      if (!sending && deadline === Number.POSITIVE_INFINITY) {
        deadline = performance.now() + patienceMs
      }
      const asked = performance.now()
      const response = await fetch(url, { headers })
      if (response.status !== 200) throw new Error(`GET /api/usage answered ${response.status}`)
      const body = (await response.json()) as { data: { external_user_id: string }[] }
      const now = performance.now()
      pollMs.push(now - asked)
      for (const row of body.data) {
        const n = Number(row.external_user_id.slice('marker-'.length))
        if (!seenAt.has(n)) seenAt.set(n, now)
      }
      await sleep(pollPauseMs)
    }
  })().catch((err: unknown) => {
    pollFailure = err
  })

  const started = performance.now()
  for (let n = 0; !pollFailure && performance.now() - started < seconds * 1_000; n++) {
    const due = started + (n * 1_000) / markersPerSecond
    await sleep(Math.max(0, due - performance.now()))
    enqueuedAt[n] = performance.now()
    await tenant.producer.recordEncoding({
      eventId: `${runLabel}-marker-${round}-${n}`,
      userId: tenant.userId,
      engine: 'cpu',
      seconds: 1,
      externalUserId: `marker-${n}`,
      occurredAt: `${day}T12:00:00Z`,
    })
  }
  sending = false
  await poller
  if (pollFailure) throw pollFailure

  return enqueuedAt.map((at, n) => Math.min(patienceMs, (seenAt.get(n) ?? Infinity) - at))
}

function report(
  rounds: number[][],
  size: Record<'rate' | 'warmup' | 'seconds' | 'rounds' | 'patience', number>,
  flow: { sent: number; written: number; lateTicks: number; left: number },
  unseen: number,
): BenchResult {
  const roundFigure = (label: string, p: number): Figure => ({
    label,
    unit: 's',
    cap: size.patience,
    ...spread(rounds.map((latencies) => percentile(latencies, p))),
  })
  const all = rounds.flat()
  const p99 = roundFigure('p99 enqueue → visible', 99)
  const notes = [
    `${all.length} markers over ${size.rounds} rounds of ${size.seconds} s after ` +
      `${size.warmup} s of warm-up; the producer sent ${Math.round(flow.sent)} events/s ` +
      `(${flow.lateTicks} ticks late) and the worker wrote ${Math.round(flow.written)} ` +
      `events/s; ${flow.left} jobs were still queued when the load stopped.`,
    `A poll of GET /api/usage took ${Math.round(percentile(pollMs, 50))} ms at the median ` +
      `and ${Math.round(percentile(pollMs, 99))} ms at p99: the resolution of these figures.`,
  ]
  if (unseen > 0) {
    notes.push(
      `${unseen} markers were not visible within ${size.patience} s and count as ` +
        `${size.patience} s.`,
    )
  }

  return {
    id: 'freshness',
    title: `Freshness: enqueue → visible in GET /api/usage at a steady ${perSecond(size.rate)}`,
    method:
      `Real \`web\` and \`worker\` processes with default settings (flush every 250 ms or ` +
      `5,000 events, concurrency 500), chDB served over HTTP by the benchmark process, ` +
      `PostgreSQL and Redis. A producer in the benchmark process sends ${size.rate} events/s ` +
      `(one in ten as a single-event job, the rest in batch jobs of 50; usage and bandwidth ` +
      `for 20 users), ${markersPerSecond} of them markers each with an external user of its ` +
      `own. A poller reads \`GET /api/usage\` for the markers' day every ${pollPauseMs} ms ` +
      `plus the request's time, and a marker counts as visible when the answer holding it ` +
      `arrives. Each round's percentiles are taken over its markers; the figures are the ` +
      `median (min–max) over the rounds.`,
    baseline: null,
    headline: p99,
    target: { bound: 'at most', value: 2 },
    figures: [
      roundFigure('p50 enqueue → visible', 50),
      roundFigure('p90 enqueue → visible', 90),
      p99,
      roundFigure('max enqueue → visible', 100),
    ],
    percentiles: {
      label: 'enqueue → visible, all measured markers',
      unit: 's',
      cap: size.patience,
      points: [50, 90, 99, 100].map((p) => ({
        name: p === 100 ? 'max' : `p${p}`,
        value: percentile(all, p),
      })),
    },
    notes,
  }
}

function perSecond(rate: number): string {
  return `${rate.toLocaleString('en-US')} events/s`
}
