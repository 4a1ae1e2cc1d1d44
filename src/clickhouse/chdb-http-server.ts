import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { type ChdbResult, Session } from 'chdb'
import type { Logger } from '../logger.js'
import {
  type EngineRequest,
  EngineRequestError,
  engineFailure,
  toEngineRequest,
  unexpectedFailureCode,
} from './chdb-http-request.js'

export interface ChdbHttpServerOptions {
  dataDir: string
  host?: string
  port?: number
  log: Logger
  maxBodyBytes?: number
}

export interface ChdbHttpServer {
  url: string
  close(): Promise<void>
}

/** How long close() lets requests in flight finish before cutting their sockets. */
const closeGraceMs = 5_000

const loopbackHosts = new Set(['127.0.0.1', '::1', 'localhost'])

type Decompress = (body: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>
const decompressors: Record<string, Decompress> = {
  gzip: promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
}

/**
 * Serves the embedded chDB engine over enough of ClickHouse's HTTP interface
 * for `@clickhouse/client` to work unchanged from other processes: chDB locks
 * its data directory to one process, so the web and worker processes share
 * it through this one. Loopback only and without authentication.
 */
export async function startChdbHttpServer(options: ChdbHttpServerOptions): Promise<ChdbHttpServer> {
  const host = options.host ?? '127.0.0.1'
  if (!loopbackHosts.has(host)) throw new Error(`chDB HTTP server binds loopback only, not ${host}`)

  const log = options.log.child({ component: 'chdb-http' })
  const maxBodyBytes = options.maxBodyBytes ?? 256 * 1024 * 1024
  const dataPath = path.join(options.dataDir, 'clickhouse')
  mkdirSync(dataPath, { recursive: true })
  const engine = new SerialEngine(new Session(dataPath))
  await engine.recordBaseline()

  const server = createServer((req, res) => {
    serve(req, res, engine, maxBodyBytes, log).catch((err) => {
      log.error({ err }, 'chdb http request failed')
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  server.keepAliveTimeout = 10_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, resolve)
  }).catch(async (err: unknown) => {
    await engine.close()
    throw err
  })
  server.on('error', (err) => log.error({ err }, 'chdb http server error'))

  const { port } = server.address() as AddressInfo
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  log.info({ url, dataPath }, 'chdb http server listening')

  return {
    url,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const deadline = setTimeout(() => server.closeAllConnections(), closeGraceMs)
      await closed
      clearTimeout(deadline)
      await engine.close()
    },
  }
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  engine: SerialEngine,
  maxBodyBytes: number,
  log: Logger,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname === '/ping') return reply(res, 200, 'Ok.\n', {})
  const queryId = url.searchParams.get('query_id') || randomUUID()

  try {
    if (url.pathname !== '/') throw new EngineRequestError(404, 36, 'BAD_ARGUMENTS', 'no such path')
    if (req.method !== 'GET' && req.method !== 'POST') {
      throw new EngineRequestError(405, 36, 'BAD_ARGUMENTS', `method ${req.method} not allowed`)
    }

    const body = await readBody(req, maxBodyBytes)
    const request = toEngineRequest(url.searchParams, body, req.headers['content-type'])
    const result = await engine.run(request, () => req.socket.destroyed)
    const headers = {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Format': request.format,
      ...summary(request.sql, result),
    }
    reply(res, 200, result ? Buffer.from(result.bytes()) : '', headers)
  } catch (err) {
    const failure = engineFailure(err)
    if (failure.code === unexpectedFailureCode) log.error({ err, query_id: queryId }, 'chdb failed')
    else log.debug({ code: failure.code, query_id: queryId }, 'query refused')

    // An unread remainder of an oversized body must not be taken for the next request.
    const connection: Record<string, string> = failure.status === 413 ? { Connection: 'close' } : {}
    reply(res, failure.status, `${failure.text}\n`, {
      ...connection,
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Exception-Code': String(failure.code),
    })
  }
}

function reply(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string>,
): void {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  let body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) return void chunks.push(chunk)

      req.removeAllListeners('data')
      req.pause()
      reject(tooLarge(maxBytes))
    })
    req.once('end', () => resolve(Buffer.concat(chunks)))
    req.once('error', reject)
  })

  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase()
  if (encoding && encoding !== 'identity') {
    const decompress = decompressors[encoding]
    if (!decompress) {
      throw new EngineRequestError(415, 48, 'NOT_IMPLEMENTED', `content encoding ${encoding}`)
    }
    body = await decompress(body, { maxOutputLength: maxBytes }).catch((err: unknown) => {
      if (err instanceof RangeError) throw tooLarge(maxBytes)
      throw new EngineRequestError(400, 36, 'BAD_ARGUMENTS', `cannot decode ${encoding} body`)
    })
  }
  return body.toString('utf8')
}

function tooLarge(maxBytes: number): EngineRequestError {
  return new EngineRequestError(413, 36, 'BAD_ARGUMENTS', `request body over ${maxBytes} bytes`)
}

/**
 * Rows and bytes read, in the shape ClickHouse sends. chDB does not count the
 * rows an insert writes, so an insert gets no summary rather than a zero.
 */
function summary(sql: string, result: ChdbResult | undefined): Record<string, string> {
  if (/^\s*INSERT\b/i.test(sql)) return {}

  const rows = String(result?.rowsRead ?? 0)
  const bytes = String(result?.bytesRead ?? 0)
  const fields = {
    read_rows: rows,
    read_bytes: bytes,
    written_rows: '0',
    written_bytes: '0',
    total_rows_to_read: '0',
    result_rows: rows,
    result_bytes: bytes,
    elapsed_ns: String(Math.round((result?.elapsed ?? 0) * 1e9)),
  }
  return { 'X-ClickHouse-Summary': JSON.stringify(fields) }
}

/**
 * One chDB session run one request at a time. A session's `SET` and `USE`
 * outlive the statement, and ClickHouse's HTTP interface promises that a
 * request's settings and database apply to that request only; running
 * requests in turn, and undoing what one changed before the next starts,
 * keeps that promise on a shared session.
 */
class SerialEngine {
  private tail: Promise<unknown> = Promise.resolve()
  private baseline = new Map<string, string>()

  constructor(private readonly session: Session) {}

  /** The settings chDB itself changes at start, to return to after each request. */
  async recordBaseline(): Promise<void> {
    this.baseline = await this.changedSettings()
  }

  /**
   * Queues the request. One whose caller has gone by its turn is dropped: the
   * client has already reported a failure and will retry if it cares.
   */
  run(request: EngineRequest, abandoned: () => boolean): Promise<ChdbResult | undefined> {
    const turn = this.tail.then(() => (abandoned() ? undefined : this.execute(request)))
    this.tail = turn.catch(() => undefined)
    return turn
  }

  async close(): Promise<void> {
    await this.tail
    this.session.close()
  }

  private async execute(request: EngineRequest): Promise<ChdbResult | undefined> {
    const { sql, params, settings, database, format } = request
    if (request.emptyInsert) return undefined

    const leaves = settings.length > 0 || database !== undefined || /\b(SET|USE)\b/i.test(sql)
    try {
      if (settings.length > 0) {
        const assignments = settings.map(([name, value]) => `${name} = ${quote(value)}`)
        await this.session.queryAsync(`SET ${assignments.join(', ')}`)
      }
      if (database !== undefined) await this.session.queryAsync(`USE ${database}`)

      return Object.keys(params).length > 0
        ? await this.session.queryBindAsync(sql, params, { format })
        : await this.session.queryAsync(sql, { format })
    } catch (err) {
      // chDB hands the rows a failed query had produced to the next query;
      // a throwaway one takes them before the settings are restored.
      await this.session.queryAsync('SELECT 1').catch(() => undefined)
      throw err
    } finally {
      if (leaves) await this.restore()
    }
  }

  private async restore(): Promise<void> {
    const changed = await this.changedSettings()
    const resets: string[] = []
    for (const name of changed.keys()) {
      if (!this.baseline.has(name)) resets.push(`${name} = DEFAULT`)
    }
    for (const [name, value] of this.baseline) {
      if (changed.get(name) !== value) resets.push(`${name} = ${quote(value)}`)
    }
    if (resets.length > 0) await this.session.queryAsync(`SET ${resets.join(', ')}`)

    await this.session.queryAsync('USE default')
  }

  private async changedSettings(): Promise<Map<string, string>> {
    const result = await this.session.queryAsync(
      'SELECT name, value FROM system.settings WHERE changed',
      { format: 'JSONCompactEachRow' },
    )
    const lines = result.text().split('\n').filter(Boolean)
    return new Map(lines.map((line) => JSON.parse(line) as [string, string]))
  }
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}
