import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import test from 'ava'
import { type RunningProcess, startProcess } from '../fixtures/processes.js'
import { RedisServer } from '../fixtures/redis-server.js'
import { Stack, type Tenant } from '../fixtures/stack.js'

let stack: Stack
let tenant: Tenant

test.before(async () => {
  stack = await Stack.start()
  tenant = await stack.tenant()
})

test.after.always(async () => {
  await tenant?.close()
  await stack?.close()
})

/** Waits until `done` holds; generous, as the machine is shared. */
async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}`)
    await sleep(50)
  }
}

const skippedBeats = (worker: RunningProcess) =>
  worker.logs.filter((entry) => entry.msg === 'worker not alive; heartbeat skipped').length

test('the worker beats its health file while Redis answers, and stops when it goes', async (t) => {
  const redis = await RedisServer.start({ appendOnly: false })
  t.teardown(() => redis.close())
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nukevideo-heartbeat-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'worker-alive')

  const env = { ...tenant.env, REDIS_URL: redis.url, WORKER_HEALTH_FILE: file }
  const worker = await startProcess('workers/metering/main.ts', env, 'consuming')
  t.teardown(async () => {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return
    worker.child.kill('SIGKILL')
    await once(worker.child, 'exit')
  })

  await until('the first beat', () => existsSync(file))
  const first = readFileSync(file, 'utf8')
  t.regex(first, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\n$/)
  await until('the next beat', () => readFileSync(file, 'utf8') !== first)

  await redis.down()
  await until('a skipped beat', () => skippedBeats(worker) >= 1)
  const stale = statSync(file).mtimeMs
  await until('another skipped beat', () => skippedBeats(worker) >= 2)
  t.is(statSync(file).mtimeMs, stale)
})
