import type { Redis } from 'ioredis'
import { claimScript, commitScript, renewScript, takeOverScript } from './dedup-scripts.js'

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

interface DedupCommands {
  meterClaim(...args: (string | number)[]): Promise<string[]>
  meterCommit(...args: (string | number)[]): Promise<number>
  meterRenew(...args: (string | number)[]): Promise<number>
  meterTakeOver(...args: (string | number)[]): Promise<string[] | null>
}

/** How many buckets the horizon spans; an id is kept up to a quarter horizon longer. */
const BUCKETS_PER_HORIZON = 4

/**
 * Remembers which event ids were counted within the dedup horizon, in Redis,
 * and journals each batch between claim and commit. The journal is what makes
 * a crash harmless: a batch claimed by a worker that died is taken over by
 * another one, which inserts the same rows under the same batch id, so
 * ClickHouse's insert deduplication keeps it from counting twice.
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
    const args: (string | number)[] = [this.base, batchId, this.horizonMs, this.widthMs, leaseMs]
    for (const entry of entries) args.push(entry.eventId, entry.stored)

    const statuses = await this.redis.meterClaim(this.batchesKey, this.journalKey(batchId), ...args)
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

    const [batchId, ...flat] = reply as [string, ...string[]]
    const entries: JournalEntry[] = []
    for (let i = 0; i + 1 < flat.length; i += 2) {
      entries.push({ eventId: flat[i] as string, stored: flat[i + 1] as string })
    }
    return { batchId, entries }
  }

  private journalKey(batchId: string): string {
    return `${this.base}:batch:${batchId}`
  }
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
