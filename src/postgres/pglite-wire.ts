import { createServer, type Server, type Socket } from 'node:net'
import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from '../logger.js'

const sslRequest = 80_877_103
const gssEncRequest = 80_877_104
const cancelRequest = 80_877_102

/**
 * Message types after which a client waits for the server: Sync ends an
 * extended-query exchange (Parse, Bind, Describe, Execute …), Query is a whole
 * simple query, Flush asks for what is pending, CopyDone/CopyFail end a COPY.
 */
const groupEnds = new Set(['S', 'Q', 'H', 'c', 'f'].map((type) => type.charCodeAt(0)))
const terminate = 'X'.charCodeAt(0)
const simpleQuery = 'Q'.charCodeAt(0)
const parse = 'P'.charCodeAt(0)
/** LISTEN as the first statement, after any blanks and comments. */
const listenStatement = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*(?:LISTEN|UNLISTEN)\b/i

interface Turn {
  client: WireClient
  message: Uint8Array
}

/**
 * Serves one PGlite backend to many PostgreSQL clients. PGlite is a single
 * session, so clients take turns, and a turn is a whole exchange up to Sync:
 * handing it single messages would let one client's Parse replace another's
 * unnamed statement between its Parse and Bind. While a client has a
 * transaction open, only that client is served, as if it held the session.
 */
export class PgliteWireServer {
  private readonly queue: Turn[] = []
  private running = false
  private owner: WireClient | undefined
  private readonly server: Server
  private readonly clients = new Set<WireClient>()

  constructor(
    private readonly db: PGlite,
    private readonly log: Logger,
  ) {
    this.server = createServer((socket) => {
      const client = new WireClient(socket, this)
      this.clients.add(client)
      socket.once('close', () => {
        this.clients.delete(client)
        void this.release(client)
      })
    })
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => resolve())
    })
    return (this.server.address() as { port: number }).port
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const client of this.clients) client.socket.destroy()
    await closed
    while (this.running) await new Promise((resolve) => setImmediate(resolve))
  }

  enqueue(client: WireClient, message: Uint8Array): void {
    this.queue.push({ client, message })
    void this.drain()
  }

  private async drain(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      for (let turn = this.next(); turn; turn = this.next()) await this.serve(turn)
    } finally {
      this.running = false
    }
  }

  /** The owner of an open transaction goes first; everyone else waits for it. */
  private next(): Turn | undefined {
    const index = this.owner ? this.queue.findIndex((turn) => turn.client === this.owner) : 0
    return index === -1 ? undefined : this.queue.splice(index, 1)[0]
  }

  private async serve({ client, message }: Turn): Promise<void> {
    if (client.socket.destroyed) return
    const exchange = refusesListen(message) ? listenRefusal : message

    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(exchange, {
          onRawData: (data) => {
            if (!client.socket.destroyed) client.socket.write(data)
          },
        }),
      )
    } catch (err) {
      this.log.warn({ err }, 'pglite exchange failed; closing its connection')
      client.socket.destroy()
    }
    this.owner = this.db.isInTransaction() ? client : undefined
  }

  /** A client gone mid-transaction must not hold the session: roll its work back. */
  private async release(client: WireClient): Promise<void> {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]?.client === client) this.queue.splice(i, 1)
    }
    if (this.owner !== client) return

    this.owner = undefined
    while (this.running) await new Promise((resolve) => setImmediate(resolve))
    if (this.db.isInTransaction()) {
      // exec takes PGlite's own lock, so it runs outside runExclusive.
      await this.db.exec('ROLLBACK').catch(() => undefined)
    }
    void this.drain()
  }
}

/** One client connection: splits its bytes into exchanges and queues them. */
class WireClient {
  private buffer = Buffer.alloc(0)
  private pending: Buffer[] = []
  private started = false

  constructor(
    readonly socket: Socket,
    private readonly server: PgliteWireServer,
  ) {
    socket.setNoDelay(true)
    socket.on('data', (data) => this.receive(data))
    socket.on('error', () => socket.destroy())
  }

  private receive(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data])
    for (;;) {
      const message = this.started ? this.typedMessage() : this.startupMessage()
      if (!message) return
    }
  }

  /** Before start-up: refuse TLS and GSS encryption, drop cancels, queue the start-up. */
  private startupMessage(): Buffer | undefined {
    if (this.buffer.length < 8) return undefined
    const length = this.buffer.readInt32BE(0)
    if (this.buffer.length < length) return undefined

    const message = this.take(length)
    const code = message.readInt32BE(4)
    if (code === sslRequest || code === gssEncRequest) this.socket.write('N')
    else if (code === cancelRequest) this.socket.end()
    else {
      this.started = true
      this.server.enqueue(this, message)
    }
    return message
  }

  private typedMessage(): Buffer | undefined {
    if (this.buffer.length < 5) return undefined
    const length = 1 + this.buffer.readInt32BE(1)
    if (this.buffer.length < length) return undefined

    const message = this.take(length)
    const type = message[0] as number
    if (type === terminate) {
      this.socket.end()
      return message
    }
    this.pending.push(message)
    if (groupEnds.has(type)) {
      this.server.enqueue(this, Buffer.concat(this.pending))
      this.pending = []
    }
    return message
  }

  private take(length: number): Buffer {
    const message = this.buffer.subarray(0, length)
    this.buffer = this.buffer.subarray(length)
    return message
  }
}

/**
 * Clients share one session here, so a notice would reach whichever client's
 * turn came next, not the one that listened. An exchange whose simple query
 * or any parsed statement starts with LISTEN (after blanks and comments) runs
 * a statement that fails instead, as a server without the feature would
 * (SQLSTATE 0A000): the client sees the error, and a transaction it had open
 * is aborted exactly as PostgreSQL would abort it. One that LISTENs after
 * another statement in the same text is not caught; its notices may go astray.
 */
function refusesListen(exchange: Uint8Array): boolean {
  const bytes = Buffer.from(exchange.buffer, exchange.byteOffset, exchange.byteLength)
  for (let at = 0; at + 5 <= bytes.length; ) {
    const type = bytes[at] as number
    const end = at + 1 + bytes.readInt32BE(at + 1)
    if (type === simpleQuery && listenStatement.test(cString(bytes, at + 5, end))) return true
    if (type === parse) {
      const nameEnd = bytes.indexOf(0, at + 5)
      if (nameEnd !== -1 && listenStatement.test(cString(bytes, nameEnd + 1, end))) return true
    }
    at = end
  }
  return false
}

function cString(bytes: Buffer, start: number, end: number): string {
  const stop = bytes.indexOf(0, start)
  return bytes.toString('utf8', start, stop === -1 || stop > end ? end : stop)
}

const listenRefusal = (() => {
  const sql =
    "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '0A000', " +
    "MESSAGE = 'LISTEN is not supported by the embedded PostgreSQL server'; END $$"
  const text = Buffer.from(`${sql}\0`)
  const header = Buffer.alloc(5)
  header.write('Q')
  header.writeInt32BE(4 + text.length, 1)
  return new Uint8Array(Buffer.concat([header, text]))
})()
