/**
 * Redis memory the dedup state costs per event id remembered. On a private
 * redis-server (nothing else moves its INFO memory), claims and commits N ids
 * through the real DedupStore in batches, with UUIDs and with pipeline ids of
 * about 40 characters, and prints the growth of `used_memory` per id, the
 * Redis CPU time per batch, samples of MEMORY USAGE of the keys that hold ids,
 * and what that means for the horizon at 1,000 and 5,000 events/s.
 *
 * Each shape runs twice: from an empty store, and "steady", as when the time
 * bucket before held as many ids (a bucket sizes its shards from the one before).
 *
 *   npm run bench:dedup-memory -- [--events N] [--batch N] [--horizon-seconds N]
 */
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import type { Redis } from 'ioredis'
import { newUlid } from '../../src/accounts/ulid.js'
import { DedupStore, type JournalEntry } from '../../src/metering/dedup-store.js'
import { encodeRecord } from '../../src/metering/record-codec.js'
import { startPrivateRedis } from './private-redis.js'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '5000' },
    'horizon-seconds': { type: 'string', default: '604800' },
  },
})
const totalEvents = Number(values.events)
const batchSize = Number(values.batch)
const horizonSeconds = Number(values['horizon-seconds'])
const base = 'bull:{metering}:dedup'

interface IdShape {
  name: string
  ids(count: number): string[]
}

const shapes: IdShape[] = [
  { name: 'UUID', ids: (count) => Array.from({ length: count }, () => randomUUID()) },
  {
    // `<video ULID>-<kind>-<chunk>`, as an encoding pipeline names its events.
    name: 'pipeline id',
    ids(count) {
      const ids: string[] = []
      for (let video = newUlid(); ids.length < count; video = newUlid()) {
        for (const kind of ['encode-cpu', 'encode-gpu']) {
          for (let chunk = 0; chunk < 100 && ids.length < count; chunk++) {
            ids.push(`${video}-${kind}-${chunk}`)
          }
        }
      }
      return ids
    },
  },
]

interface KeySample {
  key: string
  encoding: string
  entries: number
  bytes: number
}

interface Measured {
  shape: string
  steady: boolean
  meanIdLength: number
  bytesPerId: number
  keys: number
  seconds: number
  /** Redis CPU time per batch claimed and committed. */
  cpuMsPerBatch: number
  journalBytes: number
  samples: KeySample[]
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory')
  const match = /^used_memory:(\d+)/m.exec(info)
  if (!match) throw new Error('INFO memory has no used_memory')
  return Number(match[1])
}

/**
 * CPU milliseconds of Redis's main thread so far: what the scripts cost the
 * server, unlike wall time, barely moved by other load on the machine.
 */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1])
  return (seconds('used_cpu_user_main_thread') + seconds('used_cpu_sys_main_thread')) * 1_000
}

function journalEntries(ids: string[]): JournalEntry[] {
  return ids.map((eventId, n) => ({
    eventId,
    stored: encodeRecord({
      kind: 'usage',
      eventId,
      userId: 4_711,
      metric: 'encoding_cpu',
      externalUserId: 'customer-17',
      day: '2026-07-01',
      micros: 12_482_113n + BigInt(n),
      occurredAt: Date.parse('2026-07-01T12:00:00Z'),
    }),
  }))
}

/** Claims and commits every id once, checking the store's answers as it goes. */
async function fill(dedup: DedupStore, redis: Redis, shape: IdShape) {
  let idChars = 0
  let journalBytes = 0
  for (let done = 0; done < totalEvents; done += batchSize) {
    const ids = shape.ids(Math.min(batchSize, totalEvents - done))
    for (const id of ids) idChars += id.length
    const batchId = randomUUID().replaceAll('-', '')

    const statuses = await dedup.claim(batchId, journalEntries(ids), 60_000)
    const claimed = statuses.filter((status) => status.kind === 'claimed').length
    if (claimed !== ids.length) throw new Error(`claimed ${claimed} of ${ids.length} new ids`)
    if (done === 0) journalBytes = await journalMemory(redis)

    const marked = await dedup.commit(batchId)
    if (marked !== ids.length) throw new Error(`committed ${marked} of ${ids.length} ids`)
  }
  return { meanIdLength: idChars / totalEvents, journalBytes }
}

async function keysUnder(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, page] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000)
    cursor = next
    keys.push(...page)
  } while (cursor !== '0')
  return keys.sort()
}

async function journalMemory(redis: Redis): Promise<number> {
  let bytes = 0
  for (const key of await keysUnder(redis, `${base}:*`)) {
    if (!/:(batch|journal):/.test(key)) continue
    bytes += (await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number
  }
  return bytes
}

/** Up to five keys that hold ids, spread over the key space, measured exactly. */
async function sampleIdKeys(redis: Redis, keys: string[]): Promise<KeySample[]> {
  const idKeys = keys.filter((key) => /:(seen|ids):/.test(key))
  const step = Math.max(1, Math.floor(idKeys.length / 5))
  const samples: KeySample[] = []
  for (let i = 0; i < idKeys.length && samples.length < 5; i += step) {
    const key = idKeys[i] as string
    samples.push({
      key: key.slice(base.length + 1),
      encoding: String(await redis.object('ENCODING', key)),
      entries: await redis.hlen(key),
      bytes: (await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number,
    })
  }
  return samples
}

/** Tells the store the bucket before this one held `ids` ids, as steady traffic would. */
async function seedPreviousBucket(redis: Redis, ids: number): Promise<void> {
  const [seconds = 0, micros = 0] = (await redis.time()).map(Number)
  const now = seconds * 1_000 + Math.floor(micros / 1_000)
  const width = Math.ceil((horizonSeconds * 1_000) / 4)
  await redis.hset(`${base}:shards`, `${Math.floor(now / width) - 1}:n`, ids)
}

async function measure(shape: IdShape, steady: boolean): Promise<Measured> {
  const server = await startPrivateRedis()
  try {
    const dedup = new DedupStore(server.redis, base, horizonSeconds)
    // Load the scripts and let Redis settle before the baseline.
    const warmUp = new DedupStore(server.redis, 'warm-up', horizonSeconds)
    await warmUp.claim('0'.repeat(32), journalEntries(['warm-up']), 60_000)
    await warmUp.commit('0'.repeat(32))
    await server.redis.del(...(await keysUnder(server.redis, 'warm-up:*')))
    if (steady) await seedPreviousBucket(server.redis, totalEvents)
    const before = await usedMemory(server.redis)
    const cpuBefore = await redisCpuMs(server.redis)

    const started = performance.now()
    const { meanIdLength, journalBytes } = await fill(dedup, server.redis, shape)
    const seconds = (performance.now() - started) / 1_000

    const after = await usedMemory(server.redis)
    const cpuMs = (await redisCpuMs(server.redis)) - cpuBefore
    const keys = await keysUnder(server.redis, `${base}:*`)
    return {
      shape: shape.name,
      steady,
      meanIdLength,
      bytesPerId: (after - before) / totalEvents,
      keys: keys.length,
      seconds,
      cpuMsPerBatch: cpuMs / Math.ceil(totalEvents / batchSize),
      journalBytes,
      samples: await sampleIdKeys(server.redis, keys),
    }
  } finally {
    await server.stop()
  }
}

const int = (n: number) => Math.round(n).toLocaleString('en-US')
const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`

const runName = (r: Measured) => `${r.shape}, ${r.steady ? 'steady' : 'empty start'}`

function report(results: Measured[], listpack: string[]): void {
  console.log(`${int(totalEvents)} ids claimed and committed in batches of ${int(batchSize)}`)
  console.log(`Redis defaults in force: ${listpack.join(' ')}\n`)

  console.log(
    'run                       id length  used_memory per id  per 1M ids    keys' +
      '  Redis CPU/batch  wall time',
  )
  for (const r of results) {
    console.log(
      `${runName(r).padEnd(25)}${r.meanIdLength.toFixed(1).padStart(10)}` +
        `${`${r.bytesPerId.toFixed(1)} B`.padStart(21)}` +
        `${`${r.bytesPerId.toFixed(1)} MB`.padStart(12)}${int(r.keys).padStart(8)}` +
        `${`${r.cpuMsPerBatch.toFixed(1)} ms`.padStart(17)}` +
        `${`${r.seconds.toFixed(1)} s`.padStart(11)}`,
    )
  }

  for (const r of results) {
    console.log(
      `\nMEMORY USAGE of keys holding ids, ${runName(r)}` +
        ` (one in-flight journal: ${int(r.journalBytes)} B)`,
    )
    for (const s of r.samples) {
      console.log(
        `  ${s.key.padEnd(28)} ${s.encoding.padEnd(10)} ${int(s.entries).padStart(9)} ids ` +
          `${int(s.bytes).padStart(12)} B  ${(s.bytes / s.entries).toFixed(1).padStart(6)} B/id`,
      )
    }
  }

  // Buckets outlive their last id by the horizon: ids stay up to a quarter horizon longer.
  const widest = horizonSeconds * 1.25
  const range = (rate: number, r: Measured) =>
    `${gb(rate * horizonSeconds * r.bytesPerId)}–${gb(rate * widest * r.bytesPerId)}`
  console.log(
    `\nMemory for a horizon of ${int(horizonSeconds)} s (ids are kept ${int(horizonSeconds)}` +
      `–${int(widest)} s):`,
  )
  console.log(`${''.padEnd(25)}${'1,000 events/s'.padStart(20)}${'5,000 events/s'.padStart(20)}`)
  for (const r of results) {
    console.log(
      `${runName(r).padEnd(25)}${range(1_000, r).padStart(20)}${range(5_000, r).padStart(20)}`,
    )
  }
}

const results: Measured[] = []
for (const shape of shapes) {
  for (const steady of [false, true]) results.push(await measure(shape, steady))
}

const probe = await startPrivateRedis()
const listpack = (await probe.redis
  .config('GET', 'hash-max-listpack-*')
  .finally(() => probe.stop())) as string[]
const settings = []
for (let i = 0; i + 1 < listpack.length; i += 2) settings.push(`${listpack[i]}=${listpack[i + 1]}`)
report(results, settings)
