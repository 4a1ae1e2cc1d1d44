import pg from 'pg'
import type { AccountCache } from '../accounts/account-cache.js'
import type { Logger } from '../logger.js'

/** The channel the account tables' triggers notify (see the migrations). */
export const accountChangesChannel = 'account_changes'

/** How the listening connection shows in `pg_stat_activity`. */
export const listenerApplicationName = 'nukevideo-metering account changes'

const firstRetryMs = 500
const lastRetryMs = 30_000

/**
 * Holds one connection that LISTENs for changes to users and tokens, from
 * this process or any other (a second web process, the command line, an
 * operator's SQL), and empties the cache on each. The cache is on only while
 * the connection is listening: if it drops, every lookup goes to the
 * database until it listens again. A server that cannot LISTEN (the embedded
 * PGlite server refuses it) keeps the cache off for good.
 */
export class ChangeListener {
  private client: pg.Client | undefined
  private retryMs = firstRetryMs
  private retryTimer: NodeJS.Timeout | undefined
  private stopped = false
  /** Notices heard since start; tests wait on it. */
  notices = 0

  constructor(
    private readonly url: string,
    private readonly cache: AccountCache,
    private readonly log: Logger,
  ) {}

  /** Resolves once listening, or once it is known the server will not allow it. */
  async start(): Promise<void> {
    await this.connect()
  }

  /** Listens at once if not listening yet, say right after the migrations ran. */
  async listenNow(): Promise<void> {
    if (this.stopped || this.cache.enabled || this.client) return
    clearTimeout(this.retryTimer)
    this.retryMs = firstRetryMs
    await this.connect()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retryTimer)
    this.cache.disable()
    await this.client?.end().catch(() => undefined)
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: listenerApplicationName,
    })
    client.on('error', (err) => this.lost(client, err))
    client.on('end', () => this.lost(client))
    client.on('notification', () => {
      this.notices++
      this.cache.clear()
    })
    this.client = client

    let triggers: number
    try {
      await client.connect()
      await client.query(`LISTEN ${accountChangesChannel}`)
      triggers = await countTriggers(client)
    } catch (err) {
      if (isRefusedFeature(err)) {
        this.client = undefined
        this.log.info('account cache off: this PostgreSQL server cannot LISTEN')
      } else {
        this.lost(client, err)
      }
      await client.end().catch(() => undefined)
      return
    }

    if (this.stopped) return void (await client.end().catch(() => undefined))
    if (triggers < noticeTriggers.length) {
      // Not migrated yet: changes would go unheard, so the cache stays off.
      this.lost(client, new Error('account change triggers are missing; run the migrations'))
      await client.end().catch(() => undefined)
      return
    }
    this.retryMs = firstRetryMs
    this.cache.enable()
    this.log.debug('account cache on: listening for account changes')
  }

  private lost(client: pg.Client, err?: unknown): void {
    if (client !== this.client || this.stopped) return
    this.client = undefined
    this.cache.disable()
    this.log.warn({ err, retryInMs: this.retryMs }, 'account change listener lost; cache off')

    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs)
    this.retryTimer.unref()
    this.retryMs = Math.min(this.retryMs * 2, lastRetryMs)
  }
}

/** Created by the migrations; without both, some changes would send no notice. */
const noticeTriggers = ['users_changed', 'api_tokens_changed']

async function countTriggers(client: pg.Client): Promise<number> {
  const result = await client.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM pg_trigger WHERE tgname = ANY($1) AND NOT tgisinternal',
    [noticeTriggers],
  )
  return result.rows[0]?.count ?? 0
}

function isRefusedFeature(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === '0A000'
}
