import { hash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { ConfigError } from '../errors.js'
import { renewScript, takeOverScript } from './dedup-lease-scripts.js'
import { claimScript, commitScript } from './dedup-scripts.js'

/** What the dedup store knows of one event id. */
export type ClaimStatus =
  | { kind: 'claimed' }
  | { kind: 'counted' }
  | { kind: 'held'; batchId: string }

export interface JournalEntry {
  eventId: string
  /** The event as the batch will store it; opaque to the store. */
  stored: string
}

export interface AdoptedBatch {
  batchId: string
  entries: JournalEntry[]
}

type Arg = string | number | Buffer

interface DedupCommands {
  meterClaim(batches: string, journal: string, args: Arg[]): Promise<string[]>
  meterCommit(...args: Arg[]): Promise<number>
  meterRenew(...args: Arg[]): Promise<number>
  meterTakeOver(...args: Arg[]): Promise<string[] | null>
}

/** How many buckets the horizon spans; an id is kept up to a quarter horizon longer. */
const BUCKETS_PER_HORIZON = 4

/**
 * What the store keeps of an event id: the first 16 bytes of its SHA-256.
 * Hashing the id's UTF-16 code units keeps ids that differ only in an unpaired
 * surrogate apart (as UTF-8 both would read U+FFFD). Two ids share a digest
 * with odds of about n² / 2^129 among n ids: 2·10^-20 for the 3.8 billion ids
 * of 8.75 days at 5,000 events/s.
 */
export function eventDigest(eventId: string): Buffer {
  // The one-shot hash costs half of a Hash object per id, on the hot path.
  return hash('sha256', Buffer.from(eventId, 'utf16le'), 'buffer').subarray(0, 16)
}

/**
 * Remembers which event ids were counted within the dedup horizon, in Redis,
 * and journals each batch between claim and commit. The journal is what makes
 * a crash harmless: a batch claimed by a worker that died is taken over by
 * another one, which inserts the same rows under the same batch id, so
 * ClickHouse's insert deduplication keeps it from counting twice. Redis
 * holds a digest of each id rather than the id (see dedup-scripts.ts).
 */
export class DedupStore {
  private readonly redis: Redis & DedupCommands
  private readonly horizonMs: number
  private readonly widthMs: number
  private readonly batchesKey: string

  constructor(
    redis: Redis,
    private readonly base: string,
    horizonSeconds: number,
  ) {
    this.redis = defineCommands(redis)
    this.horizonMs = horizonSeconds * 1000
    this.widthMs = Math.ceil(this.horizonMs / BUCKETS_PER_HORIZON)
    this.batchesKey = `${base}:batches`
  }

  /**
   * Claims the unclaimed ids for `batchId` and journals their stored form, in
   * one atomic step. Ids must be unique within the call.
   */
  async claim(batchId: string, entries: JournalEntry[], leaseMs: number): Promise<ClaimStatus[]> {
    const args: Arg[] = [this.base, batchId, this.horizonMs, this.widthMs, leaseMs]
    for (const { eventId, stored } of entries) {
      // The raw id is for buckets written before digests; the journal keeps it for adoption.
      args.push(eventDigest(eventId), eventId, JSON.stringify([eventId, stored]))
    }

    // One array, which ioredis flattens: spread, a flush near the largest
    // batch size (three arguments per event) overflowed the call stack.
    const statuses = await this.redis.meterClaim(this.batchesKey, this.journalKey(batchId), args)
    return statuses.map(toStatus)
  }

  /** Marks the batch's ids counted; call only once its rows are durable. */
  async commit(batchId: string): Promise<number> {
    return this.redis.meterCommit(
      this.batchesKey,
      this.journalKey(batchId),
      this.base,
      batchId,
      this.horizonMs,
      this.widthMs,
    )
  }

  /** Keeps other workers from taking over a batch that is still being written. */
  async renew(batchId: string, leaseMs: number): Promise<boolean> {
    return (await this.redis.meterRenew(this.batchesKey, batchId, leaseMs)) === 1
  }

  /** Adopts the oldest batch whose lease ran out, if any. */
  async takeOverExpired(leaseMs: number): Promise<AdoptedBatch | undefined> {
    const reply = await this.redis.meterTakeOver(this.batchesKey, this.base, leaseMs)
    if (!reply || reply.length === 0) return undefined

    const [batchId, layout, ...flat] = reply as [string, string, ...string[]]
    if (layout === 'journal') return { batchId, entries: flat.map(parseJournalEntry) }

    // Claimed before digests: the journal is flat event id, stored form.
    const entries: JournalEntry[] = []
    for (let i = 0; i + 1 < flat.length; i += 2) {
      entries.push({ eventId: flat[i] as string, stored: flat[i + 1] as string })
    }
    return { batchId, entries }
  }

  private journalKey(batchId: string): string {
    return `${this.base}:journal:${batchId}`
  }
}

function parseJournalEntry(value: string): JournalEntry {
  const [eventId, stored] = JSON.parse(value) as [string, string]
  return { eventId, stored }
}

function toStatus(reply: string): ClaimStatus {
  if (reply === 'claimed') return { kind: 'claimed' }
  if (reply === 'counted') return { kind: 'counted' }
  return { kind: 'held', batchId: reply.slice(2) }
}

function defineCommands(redis: Redis): Redis & DedupCommands {
  const commands = redis as Redis & Partial<DedupCommands>
  if (!commands.meterClaim) {
    redis.defineCommand('meterClaim', { numberOfKeys: 2, lua: claimScript })
    redis.defineCommand('meterCommit', { numberOfKeys: 2, lua: commitScript })
    redis.defineCommand('meterRenew', { numberOfKeys: 1, lua: renewScript })
    redis.defineCommand('meterTakeOver', { numberOfKeys: 1, lua: takeOverScript })
  }
  return redis as Redis & DedupCommands
}

/**
 * Records, once, the horizon the dedup buckets are laid out for, and refuses
 * to run with another: buckets are a quarter horizon wide, so a worker with a
 * new horizon would look in other keys and count again every id counted so
 * far, and workers with different horizons would not see each other's ids.
 */
export async function pinDedupHorizon(
  redis: Redis,
  base: string,
  horizonSeconds: number,
): Promise<void> {
  const key = `${base}:horizon`
  await redis.set(key, String(horizonSeconds), 'NX')
  const pinned = await redis.get(key)
  if (pinned === String(horizonSeconds)) return

  throw new ConfigError({
    DEDUP_HORIZON_SECONDS: [
      `is ${horizonSeconds}, but the dedup state in Redis is laid out for ${pinned}: ` +
        'with another horizon every event id counted so far would count again. Set it back, ' +
        `or stop every worker and delete the key ${key} to start a fresh dedup memory`,
    ],
  })
}
