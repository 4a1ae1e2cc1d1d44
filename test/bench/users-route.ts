/**
 * GET /api/users/{id} with bearer auth under autocannon, against a Koa route
 * that answers the same JSON as a constant, in the same run. Both apps are
 * served on loopback by this process; autocannon runs once from a process of
 * its own and once inside this one, with the same options each time.
 *
 *   npm run bench:users-route -- [--smoke] [--seconds N] [--rounds N] [--connections N]
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Router } from '@koa/router'
import Koa from 'koa'
import { startApi, userWithToken } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { makeUser } from '../fixtures/metering.js'
import { freshDatabase } from '../fixtures/postgres.js'
import { fireFromProcess, fireInProcess, type LoadFigures, type LoadRun } from './load-generator.js'
import { type BenchResult, type Figure, spread } from './result.js'
import { runBenchmark } from './script.js'

type Fire = (run: LoadRun) => Promise<LoadFigures>

const generators: { name: string; fire: Fire }[] = [
  { name: 'autocannon in a separate process', fire: fireFromProcess },
  { name: 'autocannon in the server process', fire: fireInProcess },
]

await runBenchmark(
  'users-route',
  {
    connections: { full: 10, smoke: 2, means: 'autocannon connections' },
    warmup: { full: 3, smoke: 1, means: 'seconds of unmeasured load on each app first' },
    seconds: { full: 10, smoke: 1, means: 'seconds per measured run' },
    rounds: { full: 3, smoke: 2, means: 'measured rounds per load generator' },
  },
  async (size) => {
    const postgres = await freshDatabase()
    const clickhouse = await freshClickHouse()
    const api = await startApi(postgres.db, clickhouse)
    const { token } = await userWithToken(postgres.db, 'bench-admin', true)
    const userId = await makeUser(postgres.db, 'bench-read')
    const path = `/api/users/${userId}`
    const headers = { authorization: `Bearer ${token}` }

    const answer = await fetch(api.url + path, { headers })
    if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}`)
    const constant = await startConstantApp(await answer.json())

    try {
      const results: BenchResult[] = []
      for (const [index, generator] of generators.entries()) {
        const runOn = (url: string, seconds: number) =>
          checked(
            generator.fire({ url: url + path, headers, connections: size.connections, seconds }),
          )
        await runOn(api.url, size.warmup)
        await runOn(constant.url, size.warmup)

        const rounds: { app: LoadFigures; constant: LoadFigures }[] = []
        for (let round = 0; round < size.rounds; round++) {
          // Alternate the order so drift of the machine hits both alike.
          const first = round % 2 === 0 ? api.url : constant.url
          const a = await runOn(first, size.seconds)
          const b = await runOn(first === api.url ? constant.url : api.url, size.seconds)
          rounds.push(first === api.url ? { app: a, constant: b } : { app: b, constant: a })
        }
        results.push(report(generator.name, index === 0, rounds, size))
      }
      return results
    } finally {
      await constant.close()
      await api.close()
      await clickhouse.close()
      await postgres.close()
    }
  },
)

async function checked(figures: Promise<LoadFigures>): Promise<LoadFigures> {
  const done = await figures
  if (done.failures > 0) throw new Error(`${done.failures} requests failed or were not 2xx`)
  return done
}

/** The baseline: one Koa route under the same path that answers a constant body. */
async function startConstantApp(body: unknown): Promise<{ url: string; close(): Promise<void> }> {
  const app = new Koa()
  const router = new Router()
  router.get('/api/users/:id', (ctx) => {
    ctx.body = body
  })
  app.use(router.routes())
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function report(
  generator: string,
  headline: boolean,
  rounds: { app: LoadFigures; constant: LoadFigures }[],
  size: Record<'connections' | 'warmup' | 'seconds' | 'rounds', number>,
): BenchResult {
  const of = (pick: (round: (typeof rounds)[number]) => number) => spread(rounds.map(pick))
  const ratio: Figure = {
    label: 'req/s ratio API / constant',
    unit: '×',
    ...of((r) => r.app.requestsPerSecond / r.constant.requestsPerSecond),
  }
  return {
    id: headline ? 'users-route' : 'users-route-in-process',
    title: `GET /api/users/{id} with bearer auth, ${generator}`,
    method:
      `The real Koa app (api/app.ts) with PostgreSQL behind it, served on loopback by the ` +
      `benchmark process; an admin's bearer token is checked on every request. The baseline ` +
      `is a Koa app with one @koa/router route on the same path answering the same JSON as a ` +
      `constant, served by the same process. ${generator}, ${size.connections} connections, ` +
      `no pipelining, ${size.seconds} s per run after ${size.warmup} s of warm-up on each; ` +
      `${size.rounds} rounds, the order alternating; each round's API req/s over its ` +
      `constant req/s.`,
    baseline: 'a Koa route returning constant JSON, same process, same load generator',
    headline: ratio,
    target: { bound: 'at least', value: 0.5 },
    figures: [
      { label: 'API req/s', unit: 'req/s', ...of((r) => r.app.requestsPerSecond) },
      { label: 'constant req/s', unit: 'req/s', ...of((r) => r.constant.requestsPerSecond) },
      { label: 'API latency p50', unit: 'ms', ...of((r) => r.app.p50Ms) },
      { label: 'API latency p99', unit: 'ms', ...of((r) => r.app.p99Ms) },
      { label: 'constant latency p99', unit: 'ms', ...of((r) => r.constant.p99Ms) },
      ratio,
    ],
    notes: [],
  }
}
