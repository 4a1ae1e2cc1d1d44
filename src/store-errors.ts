import { isRetryableClickHouseError } from './clickhouse/client.js'
import { isTransientSocketCode } from './socket-errors.js'

/** Sequelize's names for "the database did not answer", as opposed to a bad statement. */
const unreachableDatabase = new Set([
  'SequelizeConnectionError',
  'SequelizeConnectionRefusedError',
  'SequelizeConnectionTimedOutError',
  'SequelizeConnectionAcquireTimeoutError',
  'SequelizeHostNotFoundError',
  'SequelizeHostNotReachableError',
])

/** PostgreSQL going away or refusing work for now: admin shutdown, starting up, too busy. */
const transientPostgresCodes = new Set(['57P01', '57P02', '57P03', '53300'])

/**
 * Messages of a connection lost under a statement: node-postgres when the
 * server goes away mid-session, ioredis when commands are refused while down.
 */
const connectionLost =
  /^(Connection terminated|Connection is closed|Stream isn't writeable|Reached the max retries)/

/**
 * True when a failure means a store (PostgreSQL, ClickHouse, Redis) cannot be
 * reached right now, so the caller should hear 503 and try again, rather than
 * 500 for a fault of ours. Follows `cause` and Sequelize's `parent`.
 */
export function isStoreUnavailable(err: unknown): boolean {
  if (isRetryableClickHouseError(err)) return true

  for (let cause = err, depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (unreachableDatabase.has(cause.name)) return true
    if (connectionLost.test(cause.message)) return true

    const code = (cause as NodeJS.ErrnoException).code
    if (isTransientSocketCode(code) || transientPostgresCodes.has(String(code))) return true
    cause = (cause as { parent?: unknown }).parent ?? cause.cause
  }
  return false
}
