import { setTimeout as sleep } from 'node:timers/promises'
import test, { type ExecutionContext } from 'ava'
import { ProducerUnavailableError } from '../../src/metering/producer.js'
import { drained } from '../fixtures/metering.js'
import { type RunningProcess, startProcess } from '../fixtures/processes.js'
import {
  type Attempt,
  attempt,
  type Call,
  deliverAll,
  expectedRows,
  plannedTraffic,
  storedRows,
} from '../fixtures/producer-traffic.js'
import { RedisServer } from '../fixtures/redis-server.js'
import { stackSuite, type Tenant } from '../fixtures/stack.js'

/**
 * Longest a producer call may take while Redis is down. A call that fails
 * fast settles at once; one left in ioredis's offline queue waits for the
 * reconnect or for the retry limit, which takes seconds.
 */
const failFastMs = 1_000

const suite = stackSuite(test)

interface Rig {
  redis: RedisServer
  tenant: Tenant
  worker: RunningProcess
}

/** A Redis of the test's own, persisting as docker-compose.yml has it, and a real worker on it. */
async function startRig(t: ExecutionContext, env: Record<string, string> = {}): Promise<Rig> {
  const redis = await RedisServer.start()
  const tenant = await suite.stack.tenant({ redisUrl: redis.url })
  t.teardown(async () => {
    if (!redis.running) await redis.up()
    await tenant.close()
    await redis.close()
  })
  const workerEnv = { ...tenant.env, ...env }
  const worker = await startProcess('workers/metering/main.ts', workerEnv, 'consuming')
  t.teardown(() => worker.stop())
  return { redis, tenant, worker }
}

/** Makes the calls one after another, spread over at least `spreadMs`. */
async function send(rig: Rig, calls: Call[], spreadMs = 0): Promise<Attempt[]> {
  const pauseMs = spreadMs / Math.max(calls.length, 1)
  const attempts: Attempt[] = []
  for (const call of calls) {
    attempts.push(await attempt(rig.tenant.producer, call, failFastMs))
    if (pauseMs > 0) await sleep(pauseMs)
  }
  return attempts
}

function thirds(calls: Call[]): [Call[], Call[], Call[]] {
  const third = Math.ceil(calls.length / 3)
  return [calls.slice(0, third), calls.slice(third, 2 * third), calls.slice(2 * third)]
}

/** How each call stood within the bound: refused as retryable, or something else. */
function standing(attempts: Attempt[]): Record<string, number> {
  const tally: Record<string, number> = {}
  for (const { state, error } of attempts) {
    const retryable = error instanceof ProducerUnavailableError && error.retryable
    const kind = state === 'rejected' && retryable ? 'refused as retryable' : state
    tally[kind] = (tally[kind] ?? 0) + 1
  }
  return tally
}

function slowest(attempts: Attempt[]): string {
  const ms = Math.max(...attempts.map((a) => a.ms))
  return `${attempts.length} calls while Redis was down, the slowest settled in ${ms} ms`
}

/**
 * Sends again what was refused, waits for the queue, then checks that each
 * event counted exactly once, no job failed, and the worker that ran from
 * the start is still the one running.
 */
async function assertCountedOnce(
  t: ExecutionContext,
  rig: Rig,
  calls: Call[],
  attempts: Attempt[],
): Promise<void> {
  const { tenant, worker } = rig
  const jobIds = await deliverAll(tenant.producer, attempts, failFastMs)
  await drained(tenant.queue, 45_000)

  const counts = await tenant.queue.getJobCounts('waiting', 'active', 'delayed', 'failed')
  t.deepEqual(counts, { waiting: 0, active: 0, delayed: 0, failed: 0 })
  t.is(await tenant.queue.getCompletedCount(), jobIds.size, 'every acknowledged job completed')
  t.deepEqual(await storedRows(tenant.clickhouse, tenant.userId), expectedRows(calls))

  const alive = worker.child.exitCode === null && worker.child.signalCode === null
  t.true(alive, 'the worker resumed without a restart')
  const failed = worker.logs.filter((line) => line.msg === 'job failed')
  t.deepEqual(
    failed.map((line) => line.job_id),
    [],
    'no attempt of any job failed',
  )
  t.is(await worker.stop(), 0)
}

test('a Redis restart loses nothing acknowledged while producers fail fast', async (t) => {
  // Jobs wait half a second for their batch, so some are in flight at the restart.
  const rig = await startRig(t, { FLUSH_INTERVAL_MS: '500' })
  const calls = plannedTraffic(rig.tenant.userId, 'restart', 480)
  const [before, during, after] = thirds(calls)

  const attempts = await send(rig, before)
  const unfinished = await rig.tenant.queue.getJobCounts('waiting', 'active', 'delayed')
  t.is(await rig.redis.down(), 0)
  const whileDown = await send(rig, during, 3_000)
  await rig.redis.up()
  attempts.push(...whileDown, ...(await send(rig, after)))

  t.log('unfinished jobs at the restart', unfinished, slowest(whileDown))
  t.true(
    Object.values(unfinished).some((count) => count > 0),
    'jobs were in flight',
  )
  t.deepEqual(standing(whileDown), { 'refused as retryable': whileDown.length })
  await assertCountedOnce(t, rig, calls, attempts)
})

test('after a long outage the idle worker takes jobs again by itself', async (t) => {
  const rig = await startRig(t)
  const calls = plannedTraffic(rig.tenant.userId, 'outage', 240)
  const [before, during, after] = thirds(calls)

  const attempts = await send(rig, before)
  await drained(rig.tenant.queue)
  // Idle, the worker sits in a blocking read; the outage outlasts its timeout.
  t.is(await rig.redis.down(), 0)
  const whileDown = await send(rig, during, 18_000)
  await rig.redis.up()
  attempts.push(...whileDown, ...(await send(rig, after)))

  t.log(slowest(whileDown))
  t.deepEqual(standing(whileDown), { 'refused as retryable': whileDown.length })
  await assertCountedOnce(t, rig, calls, attempts)
})
