import { randomBytes } from 'node:crypto'
import { createUser } from '../../src/accounts/users.js'
import { type RunningProcess, startProcess } from '../fixtures/processes.js'
import { Stack, type Tenant } from '../fixtures/stack.js'

export interface MeteringStack {
  tenant: Tenant
  /** Users the steady load bills, apart from the tenant's own. */
  loadUsers: number[]
  worker: RunningProcess
  web: RunningProcess | undefined
  /** A label no earlier run used, for event ids. */
  runLabel: string
  close(): Promise<void>
}

/**
 * Real `worker` (and, when asked, `web`) processes with the product's
 * default settings, over PostgreSQL, Redis and chDB served over HTTP by this
 * process, as `npm run dev` runs them. The test stack shortens the flush
 * interval; here it is unset again, and logs stay at the default level.
 */
export async function startMeteringStack(options: {
  web: boolean
  loadUsers: number
}): Promise<MeteringStack> {
  const stack = await Stack.start()
  const tenant = await stack.tenant()
  const runLabel = `bench-${randomBytes(4).toString('hex')}`
  const loadUsers: number[] = []
  for (let n = 0; n < options.loadUsers; n++) {
    const user = await createUser(stack.postgres.db, {
      name: `Load ${n}`,
      email: `load-${n}-${runLabel}@example.com`,
      password: 'long-enough-password',
    })
    loadUsers.push(user.id)
  }

  const env = { ...tenant.env, FLUSH_INTERVAL_MS: '', LOG_LEVEL: 'info' }
  const worker = await startProcess('workers/metering/main.ts', env, 'consuming')
  const web = options.web ? await startProcess('api/main.ts', env, 'listening') : undefined

  return {
    tenant,
    loadUsers,
    worker,
    web,
    runLabel,
    async close() {
      await web?.stop()
      await worker.stop()
      await tenant.close()
      await stack.close()
    },
  }
}

/** Jobs still waiting, active or delayed: what the worker has not caught up with. */
export async function backlog(tenant: Tenant): Promise<number> {
  const counts = await tenant.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')
  return Object.values(counts).reduce((sum, count) => sum + count, 0)
}

/** Events the stores hold for the tenant's ClickHouse database: usage and bandwidth alike. */
export async function storedEvents(tenant: Tenant): Promise<number> {
  const { client, database } = tenant.clickhouse
  const result = await client.query({
    query: `
      SELECT (SELECT sum(events) FROM ${database}.usage)
           + (SELECT count() FROM ${database}.bandwidth) AS stored`,
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ stored: string }>()
  return Number(row?.stored ?? 0)
}
