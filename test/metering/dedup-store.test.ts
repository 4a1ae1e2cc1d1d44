import test from 'ava'
import { loadConfig } from '../../src/config.js'
import { ConfigError } from '../../src/errors.js'
import { DedupStore, pinDedupHorizon } from '../../src/metering/dedup-store.js'
import { connectRedis, dropPrefix, uniquePrefix } from '../fixtures/redis.js'

const redis = connectRedis()
const prefixes: string[] = []

function store(horizonSeconds = 3600) {
  const prefix = uniquePrefix('dedup')
  prefixes.push(prefix)
  return new DedupStore(redis, `${prefix}:metering:dedup`, horizonSeconds)
}

const entry = (eventId: string) => ({ eventId, stored: `stored-${eventId}` })

test.after.always(async () => {
  for (const prefix of prefixes) await dropPrefix(redis, prefix)
  redis.disconnect()
})

test('a claimed id is held by its batch until commit, then counted', async (t) => {
  const dedup = store()

  t.deepEqual(await dedup.claim('a'.repeat(32), [entry('e1'), entry('e2')], 10_000), [
    { kind: 'claimed' },
    { kind: 'claimed' },
  ])
  t.deepEqual(await dedup.claim('b'.repeat(32), [entry('e2'), entry('e3')], 10_000), [
    { kind: 'held', batchId: 'a'.repeat(32) },
    { kind: 'claimed' },
  ])

  t.is(await dedup.commit('a'.repeat(32)), 2)
  t.deepEqual(await dedup.claim('c'.repeat(32), [entry('e1'), entry('e2')], 10_000), [
    { kind: 'counted' },
    { kind: 'counted' },
  ])
})

test('a batch whose lease ran out is adopted with its journal, once', async (t) => {
  const dedup = store()
  await dedup.claim('d'.repeat(32), [entry('x1'), entry('x2')], 1)
  await new Promise((resolve) => setTimeout(resolve, 20))

  const adopted = await dedup.takeOverExpired(10_000)
  t.deepEqual(adopted, {
    batchId: 'd'.repeat(32),
    entries: [entry('x1'), entry('x2')],
  })
  t.is(await dedup.takeOverExpired(10_000), undefined, 'the new lease protects it')

  t.is(await dedup.commit('d'.repeat(32)), 2)
  t.is(await dedup.takeOverExpired(10_000), undefined, 'a committed batch is gone')
})

test('a live lease is renewed and a committed batch cannot be', async (t) => {
  const dedup = store()
  await dedup.claim('e'.repeat(32), [entry('r1')], 1)

  t.true(await dedup.renew('e'.repeat(32), 10_000))
  t.is(await dedup.takeOverExpired(10_000), undefined)

  await dedup.commit('e'.repeat(32))
  t.false(await dedup.renew('e'.repeat(32), 10_000))
})

test('ids are forgotten only after the horizon has passed', async (t) => {
  const dedup = store(60)
  const base = `${prefixes.at(-1)}:metering:dedup`
  const claimedAt = Date.now()
  await dedup.claim('f'.repeat(32), [entry('h1')], 10_000)
  await dedup.commit('f'.repeat(32))

  const keys = await redis.keys(`${base}:ids:*`)
  t.is(keys.length, 1)
  for (const key of [keys[0] as string, `${base}:shards`]) {
    const readAt = Date.now()
    const ttl = await redis.pttl(key)
    // At least the horizon from the claim on, at most one bucket (15 s) more.
    const expiresAfterClaim = readAt + ttl - claimedAt
    t.true(
      expiresAfterClaim >= 60_000 && ttl <= 75_000,
      `${key}: ttl ${ttl} ms, ${expiresAfterClaim} ms after the claim`,
    )
  }
})

test('the horizon is pinned on first start; another one is refused by name', async (t) => {
  const prefix = uniquePrefix('dedup')
  prefixes.push(prefix)
  const base = `${prefix}:metering:dedup`

  await pinDedupHorizon(redis, base, 604_800)
  await pinDedupHorizon(redis, base, 604_800)
  const error = await t.throwsAsync(pinDedupHorizon(redis, base, 86_400), {
    instanceOf: ConfigError,
  })

  t.deepEqual(Object.keys(error?.errors ?? {}), ['DEDUP_HORIZON_SECONDS'])
  t.regex(error?.message ?? '', /is 86400, but the dedup state in Redis is laid out for 604800/)
  t.regex(error?.message ?? '', new RegExp(`delete the key ${base}:horizon`))
  t.is(await redis.get(`${base}:horizon`), '604800')
})

// Serial: its script holds Redis for about a second, which would skew the timings beside it.
test.serial('a flush of the largest batch size claims and commits every id', async (t) => {
  t.timeout(60_000)
  const dedup = store()
  const largest = 100_000
  t.is(loadConfig({ FLUSH_BATCH_SIZE: String(largest) }).worker.flushBatchSize, largest)
  t.throws(() => loadConfig({ FLUSH_BATCH_SIZE: String(largest + 1) }), {
    message: /FLUSH_BATCH_SIZE/,
  })
  const entries = Array.from({ length: largest }, (_, i) => entry(`large-${i}`))

  const statuses = await dedup.claim('d'.repeat(32), entries, 30_000)

  t.is(statuses.length, largest)
  t.true(statuses.every((status) => status.kind === 'claimed'))
  t.is(await dedup.commit('d'.repeat(32)), largest)
  const again = await dedup.claim('e'.repeat(32), entries.slice(-3), 30_000)
  t.deepEqual(again, [{ kind: 'counted' }, { kind: 'counted' }, { kind: 'counted' }])
})
