import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../logger.js'
import { lockDataDir } from './data-lock.js'
import { PgliteWireServer } from './pglite-wire.js'

export interface PgliteServerOptions {
  /** Data lives under `${dataDir}/postgres`; without it the database is in memory. */
  dataDir?: string
  host?: string
  port?: number
  log: Logger
}

export interface PgliteServer {
  /** `postgres://postgres@HOST:PORT/postgres`, ready for `openDatabase`. */
  url: string
  close(): Promise<void>
}

/**
 * Several sockets may connect: the server runs their exchanges one at a time
 * on the single PGlite backend, and while one socket has a transaction open
 * only that socket is served. Code that, inside a transaction, awaits a query
 * made outside it therefore waits forever here (real PostgreSQL would answer):
 * pass the transaction to every query in its callback.
 */
/**
 * Serves an embedded PGlite over the PostgreSQL wire protocol, so a machine
 * without a database server runs the same Sequelize code as production.
 */
export async function startPgliteServer(options: PgliteServerOptions): Promise<PgliteServer> {
  const host = options.host ?? '127.0.0.1'
  const dataDir = options.dataDir ? path.join(options.dataDir, 'postgres') : undefined
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  const unlock = dataDir ? lockDataDir(dataDir, 'PostgreSQL') : () => undefined
  const db = await PGlite.create(dataDir ? { dataDir } : {}).catch((err: unknown) => {
    unlock()
    throw err
  })

  const server = new PgliteWireServer(db, options.log)
  const port = await server.listen(host, options.port ?? 0)
  const url = `postgres://postgres@${host}:${port}/postgres`
  options.log.info({ host, port, persistent: dataDir !== undefined }, 'pglite serving')

  return {
    url,
    async close() {
      await server.close()
      await db.close()
      unlock()
    },
  }
}
