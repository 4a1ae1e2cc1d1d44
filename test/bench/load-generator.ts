import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

/** One autocannon run; both load generator configurations take the same options. */
export interface LoadRun {
  url: string
  headers: Record<string, string>
  connections: number
  seconds: number
}

export interface LoadFigures {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  /** Answers other than 2xx, and connection errors: a run with any is not a measurement. */
  failures: number
}

/** autocannon inside this process, sharing its event loop with the servers under test. */
export async function fireInProcess(run: LoadRun): Promise<LoadFigures> {
  const result = await autocannon({
    url: run.url,
    headers: run.headers,
    connections: run.connections,
    pipelining: 1,
    duration: run.seconds,
  })
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors,
  }
}

const entry = fileURLToPath(new URL('./load-generator-process.ts', import.meta.url))
const root = fileURLToPath(new URL('../../', import.meta.url))

/** The same run from a process of its own, as a load generator on another machine would be. */
export async function fireFromProcess(run: LoadRun): Promise<LoadFigures> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, JSON.stringify(run)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) throw new Error(`the load generator process exited with ${code}`)
  return JSON.parse(output) as LoadFigures
}
