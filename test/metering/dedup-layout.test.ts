import { createHash } from 'node:crypto'
import test from 'ava'
import { DedupStore, eventDigest } from '../../src/metering/dedup-store.js'
import { connectRedis, dropPrefix, uniquePrefix } from '../fixtures/redis.js'

const redis = connectRedis()
const prefixes: string[] = []

// A horizon of 400 days makes buckets 100 days wide: no test straddles two.
const HORIZON_SECONDS = 400 * 86_400

function store() {
  const prefix = uniquePrefix('dedup-layout')
  prefixes.push(prefix)
  const base = `${prefix}:metering:dedup`
  return { dedup: new DedupStore(redis, base, HORIZON_SECONDS), base }
}

/** The time bucket Redis is in now, computed as the scripts do. */
async function currentBucket(): Promise<number> {
  const [seconds = 0, micros = 0] = (await redis.time()).map(Number)
  const width = Math.ceil((HORIZON_SECONDS * 1_000) / 4)
  return Math.floor((seconds * 1_000 + Math.floor(micros / 1_000)) / width)
}

const entry = (eventId: string) => ({ eventId, stored: `stored-${eventId}` })
const batch = (letter: string) => letter.repeat(32)
const ids = (label: string, count: number, from = 0) =>
  Array.from({ length: count }, (_, n) => entry(`${label}-${from + n}`))

async function idsPerSet(base: string, bucket: number): Promise<Record<string, number>> {
  const held: Record<string, number> = {}
  for (const key of await redis.keys(`${base}:ids:${bucket}:*`)) {
    const bits = key.split(':').at(-2) as string
    held[bits] = (held[bits] ?? 0) + (await redis.hlen(key))
  }
  return held
}

test.after.always(async () => {
  for (const prefix of prefixes) await dropPrefix(redis, prefix)
  redis.disconnect()
})

test('an event id is kept as the first 16 bytes of the SHA-256 of its UTF-16 code units', (t) => {
  const expected = createHash('sha256').update(Buffer.from('upload-4711', 'utf16le')).digest()

  t.deepEqual(eventDigest('upload-4711'), expected.subarray(0, 16))
  t.notDeepEqual(eventDigest('lone-\uD800'), eventDigest('lone-\uDC00'))
})

test('Redis holds digests, not ids, in a listpack shard of the current bucket', async (t) => {
  const { dedup, base } = store()
  await dedup.claim(batch('a'), [entry('video-1-encode-cpu-0'), entry('upload-4711')], 10_000)
  await dedup.commit(batch('a'))

  const bucket = await currentBucket()
  const shard = `${base}:ids:${bucket}:0:0`
  t.deepEqual((await redis.keys(`${base}:*`)).sort(), [shard, `${base}:shards`])
  t.deepEqual(await redis.hgetall(`${base}:shards`), { [bucket]: '0', [`${bucket}:n`]: '2' })
  t.is(await redis.object('ENCODING', shard), 'listpack')
  t.is(await redis.hlen(shard), 2)
  t.is(await redis.hget(shard, eventDigest('video-1-encode-cpu-0')), 'c')
  t.is(await redis.hget(shard, eventDigest('upload-4711')), 'c')
})

test('a bucket adds shards as its ids grow, and every shard stays a listpack', async (t) => {
  const { dedup, base } = store()
  for (const [n, letter] of ['a', 'b', 'c'].entries()) {
    await dedup.claim(batch(letter), ids('grow', 5_000, n * 5_000), 10_000)
    await dedup.commit(batch(letter))
  }

  const bucket = await currentBucket()
  // 5,000 ids want 2^6 shards of 128 on average; 10,000 outgrow them, and the
  // next set has 4 times as many shards.
  t.deepEqual(await redis.hgetall(`${base}:shards`), { [bucket]: '6,8', [`${bucket}:n`]: '15000' })
  t.deepEqual(await idsPerSet(base, bucket), { 6: 5_000, 8: 10_000 })
  const encodings = new Set<string>()
  for (const key of await redis.keys(`${base}:ids:*`)) {
    encodings.add(String(await redis.object('ENCODING', key)))
  }
  t.deepEqual([...encodings], ['listpack'])

  const again = await dedup.claim(batch('d'), ids('grow', 15_000), 10_000)
  t.is(again.filter((status) => status.kind === 'counted').length, 15_000)
})

test('an id in the oldest live bucket counts, one past the horizon does not', async (t) => {
  const { dedup, base } = store()
  const bucket = await currentBucket()
  for (const [past, eventId] of [
    [4, 'oldest-live'],
    [5, 'past-horizon'],
  ] as const) {
    await redis.hset(`${base}:shards`, String(bucket - past), '0')
    await redis.hset(`${base}:ids:${bucket - past}:0:0`, eventDigest(eventId), 'c')
  }

  const statuses = await dedup.claim(
    batch('a'),
    [entry('oldest-live'), entry('past-horizon')],
    10_000,
  )
  t.deepEqual(statuses, [{ kind: 'counted' }, { kind: 'claimed' }])
})

test('a bucket sizes its shards from the bucket before and forgets dead buckets', async (t) => {
  const { dedup, base } = store()
  const bucket = await currentBucket()
  await redis.hset(
    `${base}:shards`,
    `${bucket - 1}:n`,
    100_000,
    bucket - 5,
    '3',
    `${bucket - 5}:n`,
    9,
  )

  await dedup.claim(batch('a'), [entry('sized')], 10_000)

  // 100,000 ids over shards of 128 on average: 2^10 shards.
  t.deepEqual(await redis.hgetall(`${base}:shards`), {
    [`${bucket - 1}:n`]: '100000',
    [bucket]: '10',
    [`${bucket}:n`]: '1',
  })
})

test('ids counted or held under the raw-id layout still count after an upgrade', async (t) => {
  const { dedup, base } = store()
  const bucket = await currentBucket()
  const before = Array.from({ length: 20_000 }, (_, n) => [`old-${n}`, 'c']).flat()
  await redis.hset(`${base}:seen:${bucket - 1}`, 'old-counted', 'c', ...before)
  await redis.hset(`${base}:seen:${bucket}`, 'old-held', `p:${batch('f')}`)
  await redis.hset(`${base}:batch:${batch('f')}`, 'old-held', 'stored-old-held')
  await redis.zadd(`${base}:batches`, 0, batch('f'))

  const statuses = await dedup.claim(
    batch('a'),
    [entry('old-counted'), entry('old-held'), entry('new')],
    10_000,
  )
  t.deepEqual(statuses, [
    { kind: 'counted' },
    { kind: 'held', batchId: batch('f') },
    { kind: 'claimed' },
  ])
  // The bucket before held 20,001 raw ids: 2^8 shards of 128 on average.
  t.is(await redis.hget(`${base}:shards`, String(bucket)), '8')

  t.deepEqual(await dedup.takeOverExpired(10_000), {
    batchId: batch('f'),
    entries: [{ eventId: 'old-held', stored: 'stored-old-held' }],
  })
  t.is(await dedup.commit(batch('f')), 1)
  t.is(await redis.hget(`${base}:seen:${bucket}`, 'old-held'), 'c')
  t.is(await redis.exists(`${base}:batch:${batch('f')}`), 0)
  t.deepEqual(await dedup.claim(batch('b'), [entry('old-held'), entry('old-7')], 10_000), [
    { kind: 'counted' },
    { kind: 'counted' },
  ])
})

test('an adopted batch gives back every id and stored form exactly', async (t) => {
  const { dedup } = store()
  const odd = [
    'quote"and\\backslash',
    'line\nbreak',
    'ünïcödé-视频-🎬',
    'lone-\uD800',
    'lone-\uDC00',
    'x'.repeat(200),
  ].map((eventId) => ({ eventId, stored: JSON.stringify(['a', eventId]) }))

  const statuses = await dedup.claim(batch('e'), odd, 1)
  t.deepEqual(
    statuses.map((status) => status.kind),
    odd.map(() => 'claimed'),
  )
  await new Promise((resolve) => setTimeout(resolve, 20))

  const adopted = await dedup.takeOverExpired(10_000)
  const byId = (a: { eventId: string }, b: { eventId: string }) => (a.eventId < b.eventId ? -1 : 1)
  t.is(adopted?.batchId, batch('e'))
  t.deepEqual(adopted?.entries.sort(byId), [...odd].sort(byId))
})
