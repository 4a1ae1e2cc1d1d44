/**
 * Worker memory at a steady 5,000 events/s: the resident set of a real
 * `worker` process with default settings, sampled over the whole run. After
 * the warm-up, the last fifth of the samples is compared with the first.
 *
 *   npm run bench:worker-memory -- [--smoke] [--rate N] [--minutes N] [--every N]
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { backlog, startMeteringStack, storedEvents } from './metering-stack.js'
import { type BenchResult, type Figure, spread } from './result.js'
import { runBenchmark } from './script.js'
import { SteadyLoad } from './steady-load.js'

await runBenchmark(
  'worker-memory',
  {
    rate: { full: 5_000, smoke: 500, means: 'events per second' },
    warmup: { full: 60, smoke: 2, means: 'seconds of load before the measured window' },
    minutes: { full: 10, smoke: 0.1, means: 'minutes of the measured window' },
    every: { full: 5, smoke: 0.5, means: 'seconds between two samples' },
  },
  async (size) => {
    const rig = await startMeteringStack({ web: false, loadUsers: 20 })
    try {
      const pid = rig.worker.child.pid as number
      const load = new SteadyLoad({
        producer: rig.tenant.producer,
        users: rig.loadUsers,
        eventsPerSecond: size.rate,
        label: rig.runLabel,
      })
      const started = performance.now()
      const samples: { at: number; value: number }[] = []
      const backlogs: number[] = []
      load.start()

      const until = started + (size.warmup + size.minutes * 60) * 1_000
      for (let n = 0; performance.now() < until; n++) {
        await sleep(Math.max(0, started + n * size.every * 1_000 - performance.now()))
        const at = (performance.now() - started) / 1_000
        samples.push({ at, value: residentMegabytes(pid) })
        if (at >= size.warmup) backlogs.push(await backlog(rig.tenant))
      }

      const sent = await load.stop()
      const written = (await storedEvents(rig.tenant)) / sent.seconds
      return [report(samples, backlogs, { sent: sent.eventsPerSecond, written }, size)]
    } finally {
      await rig.close()
    }
  },
)

/** The process's resident set in MB, from /proc where there is one, else from ps. */
function residentMegabytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kilobytes = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1])
    if (kilobytes > 0) return kilobytes / 1_024
  } catch {
    // No procfs: ask ps below.
  }
  return (
    Number(
      execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
        .toString()
        .trim(),
    ) / 1_024
  )
}

/** Least-squares slope of the samples, in MB per minute. */
function slopePerMinute(points: { at: number; value: number }[]): number {
  const n = points.length
  const meanAt = points.reduce((sum, p) => sum + p.at, 0) / n
  const meanValue = points.reduce((sum, p) => sum + p.value, 0) / n
  const covariance = points.reduce((sum, p) => sum + (p.at - meanAt) * (p.value - meanValue), 0)
  const variance = points.reduce((sum, p) => sum + (p.at - meanAt) ** 2, 0)
  return variance === 0 ? 0 : (covariance / variance) * 60
}

function report(
  samples: { at: number; value: number }[],
  backlogs: number[],
  flow: { sent: number; written: number },
  size: Record<'rate' | 'warmup' | 'minutes' | 'every', number>,
): BenchResult {
  const measured = samples.filter((sample) => sample.at >= size.warmup)
  const fifth = Math.max(1, Math.floor(measured.length / 5))
  const first = measured.slice(0, fifth).map((sample) => sample.value)
  const last = measured.slice(-fifth).map((sample) => sample.value)
  const start = spread(first)
  const growth: Figure = {
    label: 'RSS last fifth / first fifth',
    unit: '×',
    ...spread(last.map((value) => value / start.median)),
  }

  return {
    id: 'worker-memory',
    title: `Worker memory at a steady ${size.rate.toLocaleString('en-US')} events/s`,
    method:
      `A real \`worker\` process with default settings over PostgreSQL, Redis and chDB ` +
      `served over HTTP by the benchmark process, fed ${size.rate} events/s by the same ` +
      `producer as the freshness benchmark. Its resident set (VmRSS) sampled every ` +
      `${size.every} s for ${size.warmup} s of warm-up and ${size.minutes} min measured. ` +
      `Growth: each sample of the last fifth of the measured window over the median of the ` +
      `first fifth; the figure is their median (min–max). The baseline is the worker's own ` +
      `resident set at the start of the measured window.`,
    baseline: "the worker's own RSS in the first fifth of the measured window",
    headline: growth,
    target: { bound: 'at most', value: 1.1 },
    figures: [
      { label: 'RSS, first fifth', unit: 'MB', ...start },
      { label: 'RSS, last fifth', unit: 'MB', ...spread(last) },
      { label: 'RSS, whole measured window', unit: 'MB', ...spread(measured.map((s) => s.value)) },
      { label: 'jobs queued, measured window', unit: 'jobs', ...spread(backlogs) },
      growth,
    ],
    series: { label: 'worker RSS', unit: 'MB', points: samples },
    notes: [
      `Trend over the measured window: ${slopePerMinute(measured).toFixed(2)} MB/min ` +
        `(least squares over ${measured.length} samples).`,
      `The producer sent ${Math.round(flow.sent)} events/s and the worker wrote ` +
        `${Math.round(flow.written)} events/s.`,
      '"No growth" is read as the last fifth at most 10% above the first.',
    ],
  }
}
