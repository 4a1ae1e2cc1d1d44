import pg from 'pg'
import { Sequelize } from 'sequelize'
import { AccountCache, watchAccountChanges } from '../accounts/account-cache.js'
import { type ApiToken, registerModels, type User } from '../accounts/models.js'
import type { Logger } from '../logger.js'
import { maskUrl } from '../logger.js'
import { ChangeListener } from './change-listener.js'

export interface Database {
  sequelize: Sequelize
  User: typeof User
  ApiToken: typeof ApiToken
  /** Users and live tokens in memory; on only while changes can be heard. */
  accounts: AccountCache
  /** Set when this process listens for account changes. */
  changes?: ChangeListener
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** Connections in the pool; the embedded PGlite runs them one statement at a time. */
  poolMax?: number
  /**
   * Keep users and live tokens in memory, with a connection of its own that
   * listens for changes (default on). A short-lived command has no use for it.
   */
  cacheAccounts?: boolean
}

const int8Oid = 20

/**
 * node-postgres hands `int8` (bigint columns, `COUNT(*)`, `SUM` of integers)
 * back as strings, and "9" + 1 is "91". Counts here fit a double easily; a
 * value that would not is refused instead of being silently rounded.
 */
function parseInt8(text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value)) {
    throw new RangeError('int8 value beyond 2^53 cannot be read as a number')
  }
  return value
}

pg.types.setTypeParser(int8Oid, parseInt8)

/**
 * Opens the account store: Sequelize on node-postgres with the models bound.
 * It checks the connection once so a wrong URL stops start-up with a clear
 * log line; statements are logged at debug only, never shown to API callers.
 */
export async function openDatabase(
  url: string,
  log: Logger,
  options: DatabaseOptions = {},
): Promise<Database> {
  const dbLog = log.child({ store: 'postgres' })
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    dialectModule: pg,
    timezone: '+00:00',
    benchmark: true,
    logging: (sql: string, ms?: number) => dbLog.debug({ sql, ms }, 'query'),
    // A database that does not answer is reported (503) after 5 s, not 30.
    pool: { max: options.poolMax ?? 10, min: 0, idle: 10_000, acquire: 5_000 },
  })

  const models = registerModels(sequelize)
  try {
    await sequelize.authenticate({ logging: false })
  } catch (err) {
    await sequelize.close()
    dbLog.error({ err, url: maskUrl(url) }, 'postgres unreachable')
    throw err
  }

  const accounts = new AccountCache()
  watchAccountChanges(sequelize, accounts)
  const changes =
    options.cacheAccounts === false ? undefined : new ChangeListener(url, accounts, dbLog)
  await changes?.start()

  return {
    sequelize,
    ...models,
    accounts,
    changes,
    async close() {
      await changes?.stop()
      await sequelize.close()
    },
  }
}
