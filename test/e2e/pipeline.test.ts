import test from 'ava'
import { drained } from '../fixtures/metering.js'
import { startProcess } from '../fixtures/processes.js'
import { stackSuite } from '../fixtures/stack.js'

const suite = stackSuite(test)

/** Runs web and worker as real processes in one time zone; returns what the API answered. */
async function meterIn(timeZone: string) {
  const tenant = await suite.stack.tenant()
  const env = { ...tenant.env, TZ: timeZone }
  const worker = await startProcess('workers/metering/main.ts', env, 'consuming')
  const web = await startProcess('api/main.ts', env, 'listening')

  const { producer, userId } = tenant
  const occurredAt = '2026-03-31T23:30:00-05:00'
  const upload = { eventId: 'up-1', userId, bytes: '9007199254740993', occurredAt }
  await producer.recordUpload(upload)
  await producer.recordUpload(upload)
  await producer.recordBatch(
    [0.1, 0.2, 0.3].map((seconds, n) => ({
      event_id: `cpu-${n}`,
      type: 'usage' as const,
      user_id: userId,
      metric: 'encoding_cpu' as const,
      value: seconds,
      external_user_id: 'cust-7',
      occurred_at: occurredAt,
    })),
  )
  const gpuAt = '2026-04-01T00:00:00+14:00'
  await producer.recordEncoding({
    eventId: 'gpu-1',
    userId,
    engine: 'gpu',
    seconds: 2,
    occurredAt: gpuAt,
  })
  await drained(tenant.queue)

  const response = await fetch(`${tenant.baseUrl}/api/usage?from=2026-03-01&to=2026-04-30`, {
    headers: { authorization: `Bearer ${tenant.token}` },
  })
  const body = await response.json()

  const exitCodes = [await web.stop(), await worker.stop()]
  await tenant.close()
  return { status: response.status, body, exitCodes }
}

test('events enqueued through BullMQ read back exactly over HTTP, in any time zone', async (t) => {
  const expected = {
    data: [
      {
        metric: 'encoding_gpu',
        external_user_id: '',
        date: '2026-03-31',
        value: '2',
        unit: 'seconds',
        events: 1,
      },
      {
        metric: 'encoding_cpu',
        external_user_id: 'cust-7',
        date: '2026-04-01',
        value: '0.6',
        unit: 'seconds',
        events: 3,
      },
      {
        metric: 'upload_bytes',
        external_user_id: '',
        date: '2026-04-01',
        value: '9007199254740993',
        unit: 'bytes',
        events: 1,
      },
    ],
  }
  for (const zone of ['UTC', 'America/New_York', 'Asia/Shanghai']) {
    const { status, body, exitCodes } = await meterIn(zone)
    t.is(status, 200, zone)
    t.deepEqual(body, expected, zone)
    t.deepEqual(exitCodes, [0, 0], `${zone}: web and worker exit cleanly on SIGTERM`)
  }
})

test('SIGTERM with events still buffered flushes them before the worker exits', async (t) => {
  const tenant = await suite.stack.tenant()
  const env = { ...tenant.env, FLUSH_INTERVAL_MS: '60000', FLUSH_BATCH_SIZE: '100000' }
  const worker = await startProcess('workers/metering/main.ts', env, 'consuming')

  for (let n = 0; n < 40; n++) {
    await tenant.producer.recordUpload({
      eventId: `buffered-${n}`,
      userId: tenant.userId,
      bytes: n,
      occurredAt: '2026-05-01T00:00:00Z',
    })
  }
  while ((await tenant.queue.getActiveCount()) < 40) await new Promise((r) => setTimeout(r, 20))
  t.is(await worker.stop(), 0)

  t.deepEqual(await tenant.queue.getJobCounts('active', 'waiting', 'completed', 'failed'), {
    active: 0,
    waiting: 0,
    completed: 40,
    failed: 0,
  })
  const result = await tenant.clickhouse.client.query({
    query:
      'SELECT toString(sum(value)) AS total, toString(sum(events)) AS events ' +
      `FROM ${tenant.clickhouse.database}.usage`,
    format: 'JSONEachRow',
  })
  t.deepEqual(await result.json(), [{ total: '780', events: '40' }])
  await tenant.close()
})
