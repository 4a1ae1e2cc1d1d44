import { LRUCache } from 'lru-cache'
import type { Sequelize, Transaction } from 'sequelize'
import type { ApiToken, User } from './models.js'

export interface TokenOwner {
  user: User
  token: ApiToken
}

export interface AccountCacheOptions {
  /** Entries per kind; the least recently used go first. */
  maxEntries?: number
  /** A bound on any entry's life, for a change that sends no notice (see ChangeListener). */
  ttlMs?: number
  /** How late the ticker may be before the cache takes the process to have stood still. */
  stallMs?: number
}

/** How often the ticker ticks. */
const tickMs = 100

/**
 * Live tokens (by the hash of their secret) and users (by id), kept in this
 * process so that a request need not ask PostgreSQL who is calling and whom
 * they read. It serves nothing unless the change listener has lately heard
 * that changes reach it: a token revoked or a user changed from any process
 * empties it within the time the notice takes to arrive (milliseconds), and a
 * change made through this process empties it before that process answers.
 *
 * A lookup that started before a change can end after the change emptied the
 * cache; the generation count keeps what it read out.
 *
 * A process that stood still (a long GC pause, a CPU starved, SIGSTOP) wakes
 * with requests and notices waiting side by side, and may answer a request
 * before it reads the notice that a token was revoked. A ticker tells such a
 * wake-up: while the last tick is late the cache serves nothing, and once a
 * late tick has run, nothing until a notice sent after it comes back.
 */
export class AccountCache {
  private readonly tokens: LRUCache<string, TokenOwner>
  private readonly users: LRUCache<number, User>
  private generation = 0
  /** Until when entries may be served (ms since the epoch); 0 while off. */
  private leaseEnds = 0
  private lastTick = 0
  private stalledAt = 0
  private ticker: NodeJS.Timeout | undefined
  private readonly stallMs: number

  constructor(options: AccountCacheOptions = {}) {
    const settings = { max: options.maxEntries ?? 10_000, ttl: options.ttlMs ?? 10_000 }
    this.tokens = new LRUCache(settings)
    this.users = new LRUCache(settings)
    this.stallMs = options.stallMs ?? 300
  }

  get enabled(): boolean {
    const now = Date.now()
    return now < this.leaseEnds && now - this.lastTick < this.stallMs
  }

  /**
   * Serves entries until `until` (ms since the epoch): the caller has just
   * heard back a notice it sent at `sentAt`, so every change committed before
   * then has reached it too. A notice sent before the process last stood
   * still proves nothing about what came during the stall. After a gap, what
   * was kept may have missed a change, so it is dropped first.
   */
  serveUntil(until: number, sentAt: number): void {
    if (sentAt < this.stalledAt) return
    if (!this.enabled) this.clear()
    this.leaseEnds = until
    this.lastTick = Date.now()
    if (!this.ticker) {
      this.ticker = setInterval(() => this.tick(), tickMs)
      this.ticker.unref()
    }
  }

  /**
   * After a stall, timers may run before the sockets are read (a stopped
   * process's poll returns EINTR), so the tick cannot wait for requests to
   * notice: it ends the lease itself, until a notice sent after the stall.
   */
  private tick(): void {
    const now = Date.now()
    if (now - this.lastTick >= this.stallMs) {
      this.stalledAt = now
      this.leaseEnds = 0
    }
    this.lastTick = now
  }

  /** Stops keeping entries and drops them: changes may now go unheard. */
  disable(): void {
    this.leaseEnds = 0
    clearInterval(this.ticker)
    this.ticker = undefined
    this.clear()
  }

  clear(): void {
    this.generation++
    this.tokens.clear()
    this.users.clear()
  }

  tokenOwner(
    tokenHash: string,
    load: () => Promise<TokenOwner | null>,
  ): Promise<TokenOwner | null> {
    return this.through(this.tokens, tokenHash, load)
  }

  user(id: number, load: () => Promise<User | null>): Promise<User | null> {
    return this.through(this.users, id, load)
  }

  /**
   * Empties the cache as a change is written and again when its transaction
   * commits: a lookup between the two reads what was there before the change.
   */
  changed(transaction?: Transaction | null): void {
    this.clear()
    transaction?.afterCommit(() => this.clear())
  }

  private async through<K extends string | number, V extends object>(
    entries: LRUCache<K, V>,
    key: K,
    load: () => Promise<V | null>,
  ): Promise<V | null> {
    const cached = this.enabled ? entries.get(key) : undefined
    if (cached) return cached

    const generation = this.generation
    const value = await load()
    // Misses are not kept: a token or user created a moment ago must be found.
    if (value && this.enabled && generation === this.generation) entries.set(key, value)
    return value
  }
}

/** Columns whose change alters no answer the cache gives. */
const unremarkableColumns = new Set(['last_used_at'])

/**
 * Tells the cache of every change to users or tokens written through this
 * Sequelize instance. Other processes' changes arrive as notices instead.
 */
export function watchAccountChanges(sequelize: Sequelize, cache: AccountCache): void {
  const changed = (options: { transaction?: Transaction | null }) =>
    cache.changed(options.transaction)

  sequelize.addHook('afterUpdate', (_instance, options) => changed(options))
  sequelize.addHook('afterDestroy', (_instance, options) => changed(options))
  sequelize.addHook('afterRestore', (_instance, options) => changed(options))
  sequelize.addHook('afterBulkDestroy', (options) => changed(options))
  sequelize.addHook('afterBulkRestore', (options) => changed(options))
  sequelize.addHook('afterBulkUpdate', (options) => {
    const columns = Object.keys((options as { attributes?: object }).attributes ?? {})
    if (columns.length > 0 && columns.every((column) => unremarkableColumns.has(column))) return
    changed(options)
  })
}
