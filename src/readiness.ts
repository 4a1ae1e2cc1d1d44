import type { Redis } from 'ioredis'
import type { ClickHouse } from './clickhouse/client.js'
import type { Database } from './postgres/database.js'
import { checkSelectedDatabase } from './redis.js'

export type StoreName = 'postgres' | 'redis' | 'clickhouse'
export type StoreState = 'ok' | 'unavailable'

export interface Readiness {
  ready: boolean
  checks: Record<StoreName, StoreState>
}

/** Long enough for a loaded store, short enough for a load balancer's probe. */
const checkTimeoutMs = 2_000

/**
 * Asks each store for a trivial answer, all at once, each within a short
 * deadline: a store that hangs counts as unavailable instead of stalling the probe.
 */
export async function checkReadiness(stores: {
  db: Database
  redis: Redis
  clickhouse: ClickHouse
}): Promise<Readiness> {
  const probes: Record<StoreName, () => Promise<unknown>> = {
    postgres: () => stores.db.sequelize.query('SELECT 1'),
    redis: () => checkSelectedDatabase(stores.redis),
    clickhouse: async () => {
      const result = await stores.clickhouse.client.ping()
      if (!result.success) throw result.error
    },
  }

  const names = Object.keys(probes) as StoreName[]
  const states = await Promise.all(names.map((name) => withinDeadline(probes[name])))
  const checks = Object.fromEntries(
    names.map((name, i) => [name, states[i]]),
  ) as Readiness['checks']
  return { ready: states.every((state) => state === 'ok'), checks }
}

async function withinDeadline(probe: () => Promise<unknown>): Promise<StoreState> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<StoreState>((resolve) => {
    timer = setTimeout(() => resolve('unavailable'), checkTimeoutMs)
  })
  const answer = probe().then(
    (): StoreState => 'ok',
    (): StoreState => 'unavailable',
  )
  try {
    return await Promise.race([answer, deadline])
  } finally {
    clearTimeout(timer)
  }
}
