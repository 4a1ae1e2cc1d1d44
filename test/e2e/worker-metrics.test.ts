import { once } from 'node:events'
import { createServer } from 'node:net'
import test from 'ava'
import { drained } from '../fixtures/metering.js'
import { parseExposition } from '../fixtures/metrics.js'
import { freePort, startProcess } from '../fixtures/processes.js'
import { stackSuite } from '../fixtures/stack.js'

const suite = stackSuite(test)

test('a worker serves its own counters on METRICS_PORT, on loopback', async (t) => {
  const tenant = await suite.stack.tenant()
  const port = await freePort()
  const worker = await startProcess(
    'workers/metering/main.ts',
    { ...tenant.env, METRICS_PORT: String(port) },
    'consuming',
  )

  try {
    const { producer, userId } = tenant
    const occurredAt = '2026-02-02T08:00:00Z'
    for (const n of [1, 2, 3]) {
      await producer.recordUpload({ eventId: `w-${n}`, userId, bytes: n * 1000, occurredAt })
    }
    // A producer in another language skipped the checks: refused for its value.
    await tenant.queue.add('event', {
      event_id: 'w-bad',
      type: 'usage',
      user_id: userId,
      metric: 'upload_bytes',
      value: -5,
    })
    await drained(tenant.queue)

    const response = await fetch(`http://127.0.0.1:${port}/metrics`)
    const samples = parseExposition(await response.text())

    t.is(response.status, 200)
    t.regex(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    t.is(samples.get('metering_events_accepted_total'), 3)
    t.is(samples.get('metering_events_rejected_total{field="value"}'), 1)
    t.is(samples.get('metering_events_flushed_total'), 3)
    t.true((samples.get('process_cpu_user_seconds_total') ?? -1) >= 0, 'process metrics too')
    t.is((await fetch(`http://127.0.0.1:${port}/`)).status, 404)
    const listening = worker.logs.find((line) => line.msg === 'metrics listening')
    t.like(listening, { port, host: '127.0.0.1' })
  } finally {
    t.is(await worker.stop(), 0)
    await tenant.close()
  }
})

test('a metrics port already taken is logged and metering goes on', async (t) => {
  const tenant = await suite.stack.tenant()
  const taken = createServer()
  taken.listen(0, '127.0.0.1')
  await once(taken, 'listening')
  const port = (taken.address() as { port: number }).port

  try {
    const worker = await startProcess(
      'workers/metering/main.ts',
      { ...tenant.env, METRICS_PORT: String(port) },
      'consuming',
    )
    await tenant.producer.recordUpload({
      eventId: 'still-counted',
      userId: tenant.userId,
      bytes: 7,
      occurredAt: '2026-02-02T08:00:00Z',
    })
    await drained(tenant.queue)

    t.like(
      worker.logs.find((line) => line.msg === 'metrics port unavailable'),
      { level: 50, port },
    )
    t.is((await tenant.queue.getJobCounts('completed')).completed, 1)
    t.is(await worker.stop(), 0)
  } finally {
    taken.close()
    await tenant.close()
  }
})
