/**
 * GET /api/usage for one user over 31 days, on a usage table of at least ten
 * million rows, against the same SQL run directly on the engine in the same
 * run. The API is the real Koa app served on loopback by this process, over
 * PostgreSQL and the embedded chDB; the baseline replays the very statement
 * the read path sent, through the same chDB client, without HTTP or Koa.
 *
 *   npm run bench:usage-read -- [--smoke] [--rows N] [--requests N] [--rounds N]
 */
import type { QueryParams } from '@clickhouse/client'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { readUsage, type UsageQuery } from '../../src/usage/usage-query.js'
import { startApi, userWithToken } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { freshDatabase } from '../fixtures/postgres.js'
import { type BenchResult, percentile, spread } from './result.js'
import { runBenchmark } from './script.js'

/** Each user gets this many rows: three metrics, a year of days, four or five customers. */
const rowsPerUser = 5_000
const range: UsageQuery = { from: '2026-03-01', to: '2026-03-31' }

await runBenchmark(
  'usage-read',
  {
    rows: { full: 10_000_000, smoke: 100_000, means: 'rows in the usage table' },
    warmup: { full: 30, smoke: 5, means: 'unmeasured requests of each kind first' },
    requests: { full: 100, smoke: 10, means: 'requests of each kind per round' },
    rounds: { full: 5, smoke: 2, means: 'measured rounds' },
  },
  async (size) => {
    const postgres = await freshDatabase()
    const clickhouse = await freshClickHouse()
    const api = await startApi(postgres.db, clickhouse)
    try {
      const { user, token } = await userWithToken(postgres.db, 'bench-usage')
      const fillSeconds = await fill(clickhouse, size.rows, user.id)
      const tableRows = await countRows(clickhouse)
      const statement = await usageStatement(clickhouse, user.id)

      const url = `${api.url}/api/usage?from=${range.from}&to=${range.to}`
      const viaApi = async () => {
        const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
        const body = (await response.json()) as { data: unknown[] }
        if (response.status !== 200) throw new Error(`GET /api/usage answered ${response.status}`)
        return body.data.length
      }
      const direct = async () => {
        const result = await clickhouse.client.query(statement)
        return ((await result.json()) as unknown[]).length
      }

      const [apiRows, engineRows] = [await viaApi(), await direct()]
      if (apiRows !== engineRows) throw new Error(`API ${apiRows} rows, engine ${engineRows}`)

      for (let n = 0; n < size.warmup; n++) {
        await viaApi()
        await direct()
      }

      const rounds = []
      for (let round = 0; round < size.rounds; round++) {
        rounds.push(await timedRound(size.requests, viaApi, direct))
      }
      return [report(rounds, { ...size, tableRows, fillSeconds, answerRows: apiRows })]
    } finally {
      await api.close()
      await clickhouse.close()
      await postgres.close()
    }
  },
)

/**
 * Fills the table with ClickHouse's own INSERT … SELECT: `rowsPerUser` rows
 * for each of `rows / rowsPerUser` users, the benchmark's user among them,
 * each row a distinct key so none fold together. Then merges the parts, so
 * background merges do not land inside the timed requests.
 */
async function fill(clickhouse: ClickHouse, rows: number, userId: number): Promise<number> {
  const users = Math.max(1, Math.ceil(rows / rowsPerUser))
  const started = performance.now()
  await clickhouse.client.command({
    query: `
      INSERT INTO ${clickhouse.database}.usage
      SELECT ${userId} + n % ${users} AS user_id,
        ['upload_bytes', 'encoding_cpu', 'encoding_gpu'][1 + intDiv(n, ${users}) % 3],
        concat('customer-', toString(intDiv(n, ${users} * 3 * 365))),
        toDate('2026-01-01') + intDiv(n, ${users} * 3) % 365,
        toDecimal128(n % 100000, 6) / 1000,
        1 + n % 7
      FROM (SELECT number AS n FROM numbers(${users * rowsPerUser}))`,
  })
  await clickhouse.client.command({ query: `OPTIMIZE TABLE ${clickhouse.database}.usage FINAL` })
  return (performance.now() - started) / 1_000
}

async function countRows(clickhouse: ClickHouse): Promise<number> {
  const result = await clickhouse.client.query({
    query: `SELECT count() AS rows FROM ${clickhouse.database}.usage`,
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ rows: string }>()
  return Number(row?.rows)
}

/** The statement the read path sends, caught on its way to the engine. */
async function usageStatement(clickhouse: ClickHouse, userId: number): Promise<QueryParams> {
  let caught: QueryParams | undefined
  const client = new Proxy(clickhouse.client, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (params: QueryParams) => {
          caught = params
          return target.query(params)
        }
      }
      const value = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  await readUsage({ ...clickhouse, client }, userId, range)
  if (!caught) throw new Error('the usage read sent no query')
  return caught
}

interface Round {
  apiMs: number[]
  engineMs: number[]
}

/** Requests of both kinds in turn, so any drift of the machine hits both alike. */
async function timedRound(
  requests: number,
  viaApi: () => Promise<number>,
  direct: () => Promise<number>,
): Promise<Round> {
  const round: Round = { apiMs: [], engineMs: [] }
  for (let n = 0; n < requests; n++) {
    const pair = n % 2 === 0 ? ([viaApi, direct] as const) : ([direct, viaApi] as const)
    for (const call of pair) {
      const started = performance.now()
      await call()
      const ms = performance.now() - started
      ;(call === viaApi ? round.apiMs : round.engineMs).push(ms)
    }
  }
  return round
}

function report(
  rounds: Round[],
  facts: Record<'tableRows' | 'fillSeconds' | 'answerRows' | 'requests' | 'rounds', number>,
): BenchResult {
  const of = (pick: (round: Round) => number) => spread(rounds.map(pick))
  const ratio = {
    label: 'p50 ratio API / engine',
    unit: '×',
    ...of((r) => percentile(r.apiMs, 50) / percentile(r.engineMs, 50)),
  }
  return {
    id: 'usage-read',
    title: 'GET /api/usage, 31 days, one user, ≥10 million rows',
    method:
      `The real Koa app (api/app.ts) served on loopback by the benchmark process, over ` +
      `PostgreSQL (token check) and the embedded chDB engine in the same process; requests ` +
      `sent one at a time with fetch from that process. The baseline is the statement the ` +
      `read path sent (caught from src/usage/usage-query.ts), replayed through the same ` +
      `chDB client and parsed, without HTTP, Koa or the token check. The table holds ` +
      `${facts.tableRows.toLocaleString('en-US')} rows (filled with INSERT … SELECT FROM ` +
      `numbers() in ${facts.fillSeconds.toFixed(0)} s, then OPTIMIZE … FINAL); each answer ` +
      `is ${facts.answerRows} rows. ${facts.rounds} rounds of ${facts.requests} requests of ` +
      `each kind, interleaved, after a warm-up; each round's p50 API time over its p50 ` +
      `engine time.`,
    baseline: 'the same SQL run directly on the engine (embedded chDB, same client)',
    headline: ratio,
    target: { bound: 'at most', value: 1.3 },
    figures: [
      { label: 'API p50', unit: 'ms', ...of((r) => percentile(r.apiMs, 50)) },
      { label: 'engine p50', unit: 'ms', ...of((r) => percentile(r.engineMs, 50)) },
      { label: 'API p99', unit: 'ms', ...of((r) => percentile(r.apiMs, 99)) },
      { label: 'engine p99', unit: 'ms', ...of((r) => percentile(r.engineMs, 99)) },
      ratio,
    ],
    notes: [],
  }
}
