import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import {
  type ClickHouseClient,
  ClickHouseError,
  ClickHouseLogLevel,
  createClient,
} from '@clickhouse/client'
import type { Logger } from '../logger.js'
import { maskUrl } from '../logger.js'
import { isTransientSocketCode } from '../socket-errors.js'
import { guardChdbConnection } from './chdb-guard.js'

export type { ClickHouseClient }

/**
 * The ClickHouse store as the product sees it. `database` is the one the
 * product's tables live in: neither backend applies a default database to
 * the session, so every statement names its tables as `database.table`.
 */
export interface ClickHouse {
  client: ClickHouseClient
  database: string
  /**
   * The cluster the tables are spread over (`CLICKHOUSE_CLUSTER`); unset on
   * one server. See table-ddl.ts for where reads and inserts go in each case.
   */
  cluster?: string | undefined
  /** True when the chDB engine runs inside this process. */
  embedded: boolean
  close(): Promise<void>
}

export interface OpenClickHouseOptions {
  /** A ClickHouse HTTP endpoint; unset opens the embedded engine under `dataDir`. */
  url?: string
  dataDir: string
  database: string
  /** Only with `url`: the embedded engine is one server. */
  cluster?: string | undefined
  log: Logger
  requestTimeoutMs?: number
}

/**
 * Below the keep-alive timeout of both ClickHouse (10 s) and our chDB HTTP
 * server, so the client never reuses a socket the server is about to close
 * and no request dies with "socket hang up".
 */
const idleSocketTtlMs = 2_500

export type ClientConnection = NonNullable<
  NonNullable<Parameters<typeof createClient>[0]>['connection']
>
type ChdbConnectionModule = typeof import('chdb/connection')

/** Failures reach the caller as errors, and the caller logs them through pino. */
const quietClientLog = { level: ClickHouseLogLevel.OFF }

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Opens the store: an HTTP client when a URL is configured, otherwise the
 * in-process chDB engine with its data under `${dataDir}/clickhouse`. chDB
 * locks that directory to one process; other processes reach it through
 * the chDB HTTP server instead.
 */
export function openClickHouse(options: OpenClickHouseOptions): ClickHouse {
  const database = identifier(options.database)
  const cluster = options.cluster === undefined ? undefined : identifier(options.cluster)
  const log = options.log.child({ component: 'clickhouse' })

  if (options.url) {
    const client = createHttpClient(options.url, options.requestTimeoutMs ?? 30_000)
    log.debug({ url: maskUrl(options.url), database, cluster }, 'clickhouse over http')
    return { client, database, cluster, embedded: false, close: () => client.close() }
  }
  if (cluster) throw new Error('a ClickHouse cluster needs a server URL, not the embedded engine')

  const dataPath = path.join(options.dataDir, 'clickhouse')
  mkdirSync(dataPath, { recursive: true })
  const connection = createChdbConnection(dataPath)
  const client = createClient({ connection, log: quietClientLog })
  log.debug({ dataPath, database }, 'clickhouse embedded')
  return { client, database, embedded: true, close: () => client.close() }
}

function createHttpClient(url: string, requestTimeoutMs: number): ClickHouseClient {
  const endpoint = new URL(url)
  const username = decodeURIComponent(endpoint.username) || 'default'
  const password = decodeURIComponent(endpoint.password)
  endpoint.username = ''
  endpoint.password = ''

  return createClient({
    url: endpoint.toString(),
    username,
    password,
    request_timeout: requestTimeoutMs,
    keep_alive: { enabled: true, idle_socket_ttl: idleSocketTtlMs },
    compression: { request: false, response: false },
    log: quietClientLog,
  })
}

/**
 * Loaded on first use: the engine library is large, and processes that reach
 * ClickHouse over HTTP never need it. chdb declares the connection against
 * @clickhouse/client-common, which the client bundles as its own copy: the
 * same contract under two names, hence the cast.
 */
function createChdbConnection(dataPath: string): ClientConnection {
  const chdb = createRequire(import.meta.url)('chdb/connection') as ChdbConnectionModule
  const connection = chdb.createChdbConnection({ path: dataPath }) as unknown as ClientConnection
  return guardChdbConnection(connection)
}

/** Returns `name` when it is a plain SQL identifier, so it can be spliced into SQL. */
export function identifier(name: string): string {
  if (!identifierPattern.test(name) || name.length > 128) {
    throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`)
  }
  return name
}

/**
 * Server errors worth retrying: overload, timeouts, lost replicas or keeper,
 * an insert whose fate is unknown. Everything else (syntax, types, unknown
 * tables) fails the same way on every attempt.
 */
const transientServerCodes = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  225, // NO_ZOOKEEPER
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  319, // UNKNOWN_STATUS_OF_INSERT
  394, // QUERY_WAS_CANCELLED
  425, // SYSTEM_ERROR
  439, // CANNOT_SCHEDULE_TASK
  473, // DEADLOCK_AVOIDED
  999, // KEEPER_EXCEPTION
  1000, // POCO_EXCEPTION
])

/**
 * The client raises its own request timeout as a plain Error that carries
 * no code; its exact text is the only mark it has.
 */
const clientTimeoutMessage = 'Timeout error.'

/**
 * Whether repeating the same statement may succeed. Decided by the server's
 * numeric code or the socket's error code, never by searching message text.
 * Safe for inserts only because every insert carries a deduplication token.
 */
export function isRetryableClickHouseError(err: unknown): boolean {
  for (let cause = err, depth = 0; cause && depth < 5; depth++) {
    if (cause instanceof ClickHouseError) return transientServerCodes.has(Number(cause.code))
    if (!(cause instanceof Error)) return false

    const code = (cause as NodeJS.ErrnoException).code
    if (isTransientSocketCode(code)) return true
    if (cause.message === clientTimeoutMessage) return true
    cause = cause.cause
  }
  return false
}
