import path from 'node:path'
import test from 'ava'
import { loadConfig } from '../../src/config.js'
import { ConfigError } from '../../src/errors.js'

function errorsOf(env: Record<string, string>): Record<string, string[]> {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.errors
    throw err
  }
  return {}
}

test('defaults, with variables set to nothing counting as unset', (t) => {
  const config = loadConfig({ PORT: '', REDIS_URL: ' ', ADMIN_EMAIL: '' })

  t.deepEqual(config.http, {
    port: 3000,
    host: '0.0.0.0',
    bodyLimit: '1mb',
    drainTimeoutMs: 15_000,
  })
  t.is(config.redisUrl, 'redis://127.0.0.1:6379')
  t.is(config.dataDir, path.resolve('./data'))
  t.deepEqual(config.worker, {
    flushBatchSize: 5_000,
    flushIntervalMs: 250,
    concurrency: 500,
    dedupHorizonSeconds: 604_800,
    lockMs: 30_000,
    healthFile: undefined,
  })
  t.is(config.clickhouseTimeoutMs, 30_000)
  t.is(config.admin, undefined)
  t.deepEqual(config.adminSession, { secret: undefined, ttlMinutes: 60 })
  t.deepEqual(config.metrics, { port: 9464, host: '127.0.0.1' })
})

test('every bad variable is named at once, and a malformed URL never throws raw', (t) => {
  t.deepEqual(
    errorsOf({
      PORT: '1e3',
      FLUSH_BATCH_SIZE: 'abc',
      WORKER_CONCURRENCY: '0',
      DEDUP_HORIZON_SECONDS: '59',
      REDIS_URL: 'nonsense',
      DATABASE_URL: 'mysql://db/x',
      CLICKHOUSE_URL: 'nonsense',
    }),
    {
      PORT: ['must be a whole number'],
      FLUSH_BATCH_SIZE: ['must be a whole number'],
      WORKER_CONCURRENCY: ['must be at least 1'],
      DEDUP_HORIZON_SECONDS: ['must be at least 60'],
      REDIS_URL: ['must be a URL'],
      DATABASE_URL: ['must use one of postgres:, postgresql:'],
      CLICKHOUSE_URL: ['must be a URL'],
    },
  )
})

test('a Redis URL names its database by number only', (t) => {
  t.is(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/3' }).redisUrl, 'redis://127.0.0.1:6379/3')
  t.deepEqual(errorsOf({ REDIS_URL: 'redis://127.0.0.1:6379/abc' }), {
    REDIS_URL: ['the path must be a database number such as /3'],
  })
  t.deepEqual(errorsOf({ PORT: '70000' }), { PORT: ['must be at most 65535'] })
})

test('dashboard sessions and the worker metrics port are checked like the rest', (t) => {
  const secret = 's'.repeat(32)
  const config = loadConfig({
    ADMIN_SESSION_SECRET: secret,
    ADMIN_SESSION_MINUTES: '15',
    METRICS_PORT: '0',
    METRICS_HOST: '0.0.0.0',
  })

  t.deepEqual(config.adminSession, { secret, ttlMinutes: 15 })
  t.deepEqual(config.metrics, { port: 0, host: '0.0.0.0' })
  t.deepEqual(
    errorsOf({
      ADMIN_SESSION_SECRET: 'short',
      ADMIN_SESSION_MINUTES: '2',
      METRICS_PORT: '65536',
    }),
    {
      ADMIN_SESSION_SECRET: ['must be at least 32 characters'],
      ADMIN_SESSION_MINUTES: ['must be at least 5'],
      METRICS_PORT: ['must be at most 65535'],
    },
  )
})

test('a ClickHouse cluster is named by identifier and needs a server URL', (t) => {
  t.is(loadConfig({}).clickhouseCluster, undefined)
  const clustered = loadConfig({
    CLICKHOUSE_URL: 'http://clickhouse-1:8123',
    CLICKHOUSE_CLUSTER: 'metering',
  })
  t.is(clustered.clickhouseCluster, 'metering')

  t.deepEqual(errorsOf({ CLICKHOUSE_CLUSTER: 'metering' }), {
    CLICKHOUSE_CLUSTER: ['needs CLICKHOUSE_URL: the embedded engine is a single server'],
  })
  t.deepEqual(
    errorsOf({ CLICKHOUSE_URL: 'http://clickhouse-1:8123', CLICKHOUSE_CLUSTER: 'a; DROP' }),
    { CLICKHOUSE_CLUSTER: ['must be a plain identifier'] },
  )
})

test('a queue prefix with braces must hold one Redis Cluster hash tag', (t) => {
  t.is(loadConfig({ QUEUE_PREFIX: '{nukevideo}' }).queuePrefix, '{nukevideo}')
  t.is(loadConfig({ QUEUE_PREFIX: 'bull:{metering}' }).queuePrefix, 'bull:{metering}')

  const rule = ['braces must form one hash tag such as {nukevideo}']
  for (const prefix of ['{}', 'bull{', 'bull}', '{a}{b}', '{a{b}}']) {
    t.deepEqual(errorsOf({ QUEUE_PREFIX: prefix }), { QUEUE_PREFIX: rule }, prefix)
  }
})
