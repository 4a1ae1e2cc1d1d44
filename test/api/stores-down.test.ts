import { gzipSync } from 'node:zlib'
import test from 'ava'
import { pino } from 'pino'
import { createApp } from '../../api/app.js'
import { createToken } from '../../src/accounts/tokens.js'
import { createUser } from '../../src/accounts/users.js'
import { openClickHouse } from '../../src/clickhouse/client.js'
import { LazyEventQueue } from '../../src/ingest/lazy-producer.js'
import { watchQueues } from '../../src/metering/watched-queues.js'
import { createProcessRegistry } from '../../src/metrics/registry.js'
import { openDatabase } from '../../src/postgres/database.js'
import { migratePostgres } from '../../src/postgres/migrate.js'
import { startPgliteServer } from '../../src/postgres/pglite-server.js'
import { createRedis } from '../../src/redis.js'
import { freePort } from '../fixtures/processes.js'

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
const leaks = /select|insert|from |table|column|127\.0\.0\.1|localhost|\/work|node_modules|at /i

/**
 * The real app over stores that answer at first and then stop: PostgreSQL is
 * an embedded server closed after set-up, ClickHouse and Redis are loopback
 * ports nothing listens on.
 */
async function appWithStoresDown() {
  const pglite = await startPgliteServer({ log })
  const db = await openDatabase(pglite.url, log)
  await migratePostgres(db, log)
  const user = await createUser(db, {
    name: 'ops',
    email: 'ops@example.com',
    password: 'correct-horse-battery',
    is_admin: true,
  })
  const { plainText } = await createToken(db, user, 'ops')
  const ingest = await createToken(db, user, 'edge', { abilities: ['ingest'] })

  const clickhouse = openClickHouse({
    url: `http://127.0.0.1:${await freePort()}`,
    dataDir: '/nonexistent',
    database: 'nukevideo',
    log,
    requestTimeoutMs: 2_000,
  })
  const redisUrl = `redis://127.0.0.1:${await freePort()}`
  const events = new LazyEventQueue({ redisUrl })
  const redis = createRedis(redisUrl, 'commands', log)
  const queues = watchQueues(redis, 'bull', log)
  const app = createApp({
    config: {
      http: { bodyLimit: '1mb' },
      adminSession: { secret: 'x'.repeat(32), ttlMinutes: 60 },
    },
    log,
    db,
    clickhouse,
    events,
    redis,
    queues,
    metrics: createProcessRegistry(),
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`

  let postgresStopped: Promise<void> | undefined
  const stopPostgres = () => {
    postgresStopped ??= pglite.close()
    return postgresStopped
  }

  return {
    url,
    token: plainText,
    ingestToken: ingest.plainText,
    stopPostgres,
    async close() {
      server.closeAllConnections()
      server.close()
      await events.close()
      await queues.close().catch(() => undefined)
      redis.disconnect()
      await clickhouse.close()
      await db.close().catch(() => undefined)
      await stopPostgres()
    },
  }
}

test.serial('reads and writes that need a stopped store answer 503 and tell nothing', async (t) => {
  const rig = await appWithStoresDown()
  t.teardown(() => rig.close())
  const auth = { authorization: `Bearer ${rig.token}`, 'content-type': 'application/json' }
  const ingest = { ...auth, authorization: `Bearer ${rig.ingestToken}` }
  const event = {
    event_id: 'down-1',
    type: 'usage',
    user_id: 1,
    metric: 'upload_bytes',
    value: 1,
  }

  const calls: [string, RequestInit][] = [
    ['/api/usage?from=2026-01-01&to=2026-01-31', { headers: auth }],
    ['/api/analytics?from=2026-01-01&to=2026-01-31', { headers: auth }],
    ['/api/events', { method: 'POST', headers: ingest, body: JSON.stringify(event) }],
  ]
  for (const [path, init] of calls) {
    const response = await fetch(rig.url + path, init)
    const text = await response.text()
    t.is(response.status, 503, path)
    t.is(response.headers.get('retry-after'), '5', path)
    t.notRegex(text, leaks, path)
  }

  await rig.stopPostgres()
  for (const path of ['/api/auth/me', '/api/users']) {
    const response = await fetch(rig.url + path, { headers: auth })
    t.is(response.status, 503, path)
    t.deepEqual(await response.json(), { message: 'Service Unavailable' })
  }
})

test.serial('readiness names the stores that do not answer, and only them', async (t) => {
  const rig = await appWithStoresDown()
  t.teardown(() => rig.close())

  const response = await fetch(`${rig.url}/readyz`)

  t.is(response.status, 503)
  t.deepEqual(await response.json(), {
    message: 'Not ready: redis, clickhouse',
    checks: { postgres: 'ok', redis: 'unavailable', clickhouse: 'unavailable' },
  })
})

test.serial('a body that does not decompress is 400, not a server error', async (t) => {
  const rig = await appWithStoresDown()
  t.teardown(() => rig.close())

  const response = await fetch(`${rig.url}/api/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync('{"email":"ops@example.com"}').subarray(0, 12),
  })

  t.is(response.status, 400)
  t.deepEqual(await response.json(), { message: 'The request body could not be decompressed.' })
})

test.serial(
  'metrics still answer with Redis down, saying the queue figures are missing',
  async (t) => {
    const rig = await appWithStoresDown()
    t.teardown(() => rig.close())

    const response = await fetch(`${rig.url}/metrics`, {
      headers: { authorization: `Bearer ${rig.token}` },
    })
    const text = await response.text()

    t.is(response.status, 200)
    t.regex(text, /^metering_queue_up 0$/m)
    t.notRegex(text, /^metering_queue_jobs\{/m, 'no figure is made up')
    t.notRegex(text, /^metering_dead_letters\{/m)
    t.regex(text, /^process_cpu_user_seconds_total /m)
  },
)
