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
    if (isListen(message)) {
      client.socket.write(listenRefusal(this.db.isInTransaction()))
      return
    }

    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(message, {
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
 * turn came next, not the one that listened. LISTEN is refused instead, as a
 * server without the feature would (SQLSTATE 0A000), so listeners know. Only
 * a simple query that starts with it is caught: one that LISTENs after
 * another statement gets notices that may go astray, its sender's problem.
 */
function isListen(message: Uint8Array): boolean {
  if (message[0] !== simpleQuery) return false
  const text = Buffer.from(message.buffer, message.byteOffset + 5, message.byteLength - 5)
  return listenStatement.test(text.toString('utf8', 0, 1024))
}

function listenRefusal(inTransaction: boolean): Buffer {
  const fields = [
    ['S', 'ERROR'],
    ['V', 'ERROR'],
    ['C', '0A000'],
    ['M', 'LISTEN is not supported by the embedded PostgreSQL server'],
  ]
  const body = Buffer.concat([
    ...fields.map(([code, text]) => Buffer.from(`${code}${text}\0`)),
    Buffer.from([0]),
  ])
  const error = Buffer.alloc(5)
  error.write('E')
  error.writeInt32BE(4 + body.length, 1)
  const ready = Buffer.from([0x5a, 0, 0, 0, 5, (inTransaction ? 'T' : 'I').charCodeAt(0)])
  return Buffer.concat([error, body, ready])
}
