import { randomUUID } from 'node:crypto'
import pg from 'pg'
import type { AccountCache } from '../accounts/account-cache.js'
import type { Logger } from '../logger.js'

/** The channel the account tables' triggers notify (see the migrations). */
export const accountChangesChannel = 'account_changes'

/** How the listening connection shows in `pg_stat_activity`. */
export const listenerApplicationName = 'nukevideo-metering account changes'

/** The payload of the listener's own round trips (`heartbeat:<id>:<sent at>`). */
const heartbeatPrefix = 'heartbeat:'

export interface ChangeListenerTiming {
  /** How often the listener sends itself a notice through the server. */
  heartbeatMs: number
  /** How long the cache serves after the last notice heard; then nothing until the next. */
  leaseMs: number
}

const defaultTiming: ChangeListenerTiming = { heartbeatMs: 1_000, leaseMs: 3_000 }
const firstRetryMs = 500
const lastRetryMs = 30_000

/**
 * Holds one connection that LISTENs for changes to users and tokens, from
 * this process or any other (a second web process, the command line, an
 * operator's SQL), and empties the cache on each.
 *
 * A connection can die without a word (a firewall that forgets idle flows),
 * and notices would then stop unnoticed. So the listener sends itself a
 * notice every second, and the cache serves entries only for a few seconds
 * after the last notice came back: when they stop, lookups go to the
 * database, and the connection is replaced. Each round trip also checks that
 * both triggers still exist and fire in ordinary sessions ('O' or 'A'; a
 * replica trigger does not). A server that cannot LISTEN (the embedded PGlite
 * server refuses it) keeps the cache off for good.
 *
 * What no check can see: a session with `session_replication_role = replica`,
 * or one that disables a trigger and enables it again inside one transaction,
 * changes accounts without a notice. The cache's entries live 10 s at most,
 * which bounds that.
 */
export class ChangeListener {
  private client: pg.Client | undefined
  private retryMs = firstRetryMs
  private retryTimer: NodeJS.Timeout | undefined
  private beat: NodeJS.Timeout | undefined
  private stopped = false
  /** Tells this listener's heartbeats from those of other processes. */
  private readonly id = randomUUID()
  /** Changes heard since start; tests wait on it. */
  notices = 0

  constructor(
    private readonly url: string,
    private readonly cache: AccountCache,
    private readonly log: Logger,
    private readonly timing: ChangeListenerTiming = defaultTiming,
  ) {}

  /** Resolves once listening, or once it is known the server will not allow it. */
  async start(): Promise<void> {
    await this.connect()
  }

  /** Listens at once if not listening yet, say right after the migrations ran. */
  async listenNow(): Promise<void> {
    if (this.stopped || this.client) return
    clearTimeout(this.retryTimer)
    this.retryMs = firstRetryMs
    await this.connect()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retryTimer)
    clearInterval(this.beat)
    this.cache.disable()
    await this.client?.end().catch(() => undefined)
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: listenerApplicationName,
      keepAlive: true,
      // A connection or round trip not done by the time the lease ends is lost.
      connectionTimeoutMillis: this.timing.leaseMs,
      query_timeout: this.timing.leaseMs,
    })
    client.on('error', (err) => this.lost(client, err))
    client.on('end', () => this.lost(client))
    client.on('notification', (notice) => {
      if (client === this.client) this.heard(notice.payload)
    })
    this.client = client

    try {
      await client.connect()
      await client.query(`LISTEN ${accountChangesChannel}`)
      await this.roundTrip(client)
    } catch (err) {
      if (!isRefusedFeature(err)) return this.lost(client, err)

      this.client = undefined
      this.log.info('account cache off: this PostgreSQL server cannot LISTEN')
      await client.end().catch(() => undefined)
      return
    }
    if (this.stopped) return void (await client.end().catch(() => undefined))

    this.retryMs = firstRetryMs
    this.beat = setInterval(() => {
      this.roundTrip(client).catch((err) => this.lost(client, err))
    }, this.timing.heartbeatMs)
    this.beat.unref()
    this.log.debug('account cache on: listening for account changes')
  }

  /** Makes sure every change still sends a notice, then notifies itself. */
  private async roundTrip(client: pg.Client): Promise<void> {
    const result = await client.query<{ triggers: number }>(
      `SELECT count(*)::int AS triggers FROM pg_trigger
       WHERE NOT tgisinternal AND tgenabled IN ('O', 'A')
         AND ((tgname = 'users_changed' AND tgrelid = to_regclass('users'))
           OR (tgname = 'api_tokens_changed' AND tgrelid = to_regclass('api_tokens')))`,
    )
    if ((result.rows[0]?.triggers ?? 0) < 2) {
      // Not migrated yet, or someone disabled a trigger: changes would go unheard.
      throw new Error('account change triggers are missing or disabled; run the migrations')
    }
    const payload = `${heartbeatPrefix}${this.id}:${Date.now()}`
    await client.query('SELECT pg_notify($1, $2)', [accountChangesChannel, payload])
  }

  /**
   * A change empties the cache. Only this listener's own heartbeats renew the
   * lease: they say when they were sent, and so what they vouch for.
   */
  private heard(payload = ''): void {
    if (this.stopped) return
    if (!payload.startsWith(heartbeatPrefix)) {
      this.notices++
      this.cache.clear()
      return
    }
    const [id, sentAt] = payload.slice(heartbeatPrefix.length).split(':')
    if (id === this.id) this.cache.serveUntil(Date.now() + this.timing.leaseMs, Number(sentAt))
  }

  private lost(client: pg.Client, err?: unknown): void {
    if (client !== this.client || this.stopped) return
    this.client = undefined
    clearInterval(this.beat)
    this.cache.disable()
    this.log.warn({ err, retryInMs: this.retryMs }, 'account change listener lost; cache off')
    client.end().catch(() => undefined)

    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs)
    this.retryTimer.unref()
    this.retryMs = Math.min(this.retryMs * 2, lastRetryMs)
  }
}

function isRefusedFeature(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === '0A000'
}
