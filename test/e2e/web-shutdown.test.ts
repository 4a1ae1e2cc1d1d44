import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import test from 'ava'
import { createToken } from '../../src/accounts/tokens.js'
import { createUser } from '../../src/accounts/users.js'
import { startProcess } from '../fixtures/processes.js'
import { Stack, type Tenant } from '../fixtures/stack.js'

let stack: Stack
let tenant: Tenant
let adminToken: string

test.before(async () => {
  stack = await Stack.start()
  tenant = await stack.tenant()
  const admin = await createUser(stack.postgres.db, {
    name: 'Operator',
    email: `operator-${tenant.env.QUEUE_PREFIX}@example.com`,
    password: 'long-enough-password',
    is_admin: true,
  })
  adminToken = (await createToken(stack.postgres.db, admin, 'shutdown')).plainText
})

test.after.always(async () => {
  await tenant?.close()
  await stack?.close()
})

interface SlowRequest {
  /** Resolves once the server has read the headers and asked for the body. */
  accepted: Promise<unknown>
  /** Sends the rest of the body. */
  finish(): void
  /** The status, `Connection` header and parsed body, or the error that ended the request. */
  outcome: Promise<Outcome>
}

type Outcome = { status: number; connection: string | undefined; body: unknown } | { error: string }

/**
 * A PUT on a keep-alive connection whose body arrives in two parts: the
 * request is in flight on the server from its headers until the last byte,
 * as a slow client's would be.
 */
function slowPut(baseUrl: string, path: string, body: object): SlowRequest {
  const text = JSON.stringify(body)
  const half = Math.floor(text.length / 2)
  const req = http.request(`${baseUrl}${path}`, {
    method: 'PUT',
    agent: new http.Agent({ keepAlive: true }),
    headers: {
      authorization: `Bearer ${adminToken}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      expect: '100-continue',
    },
  })
  const accepted = once(req, 'continue').then(() => req.write(text.slice(0, half)))
  const outcome = new Promise<Outcome>((resolve) => {
    req.once('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }))
    req.once('response', async (res) => {
      let received = ''
      for await (const chunk of res) received += chunk
      const { connection } = res.headers
      resolve({ status: res.statusCode ?? 0, connection, body: JSON.parse(received) })
    })
  })
  return { accepted, finish: () => req.end(text.slice(half)), outcome }
}

/** A keep-alive socket left idle after one answered request. */
async function idleKeepAliveSocket(baseUrl: string): Promise<net.Socket> {
  const agent = new http.Agent({ keepAlive: true })
  const req = http.get(`${baseUrl}/healthz`, { agent })
  const [res] = (await once(req, 'response')) as [http.IncomingMessage]
  res.resume()
  await once(res, 'end')
  return req.socket as net.Socket
}

/** Connects until the port refuses, and returns how the last attempt ended. */
async function connectUntilRefused(port: number): Promise<string> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const outcome = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve('connected')
      })
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    })
    if (outcome !== 'connected' || Date.now() > deadline) return outcome
    await sleep(20)
  }
}

async function renamedUser(label: string) {
  const email = `${label}-${tenant.env.QUEUE_PREFIX}@example.com`
  const user = await createUser(stack.postgres.db, {
    name: label,
    email,
    password: 'long-enough-password',
  })
  return {
    path: `/api/users/${user.id}`,
    body: { name: `${label} renamed`, email, is_admin: false },
  }
}

test.serial(
  'SIGTERM lets a request in flight finish, refuses new connections and exits 0',
  async (t) => {
    const port = new URL(tenant.baseUrl).port
    const web = await startProcess('api/main.ts', tenant.env, 'listening')
    const closed = once(web.child, 'close')
    const target = await renamedUser('slow-client')

    const idle = await idleKeepAliveSocket(tenant.baseUrl)
    const idleClosed = once(idle, 'close')
    const slow = slowPut(tenant.baseUrl, target.path, target.body)
    await slow.accepted

    web.child.kill('SIGTERM')
    t.is(await connectUntilRefused(Number(port)), 'ECONNREFUSED')
    await idleClosed

    slow.finish()
    const outcome = await slow.outcome
    // Answered in full, and told not to reuse a connection the server is closing.
    t.like(outcome, {
      status: 200,
      connection: 'close',
      body: { data: { name: 'slow-client renamed' } },
    })

    const [code] = (await closed) as [number | null]
    t.is(code, 0)
    t.like(
      web.logs.find((entry) => entry.msg === 'http draining'),
      { in_flight: 1 },
    )
    t.like(
      web.logs.find((entry) => entry.msg === 'http drained'),
      { cut: 0 },
    )
  },
)

test.serial(
  'a request still unfinished at the drain deadline is cut, and the process exits 0',
  async (t) => {
    const env = { ...tenant.env, HTTP_DRAIN_TIMEOUT_MS: '300' }
    const web = await startProcess('api/main.ts', env, 'listening')
    const closed = once(web.child, 'close')
    const target = await renamedUser('stalled-client')

    const stalled = slowPut(tenant.baseUrl, target.path, target.body)
    await stalled.accepted
    web.child.kill('SIGTERM')

    t.deepEqual(await stalled.outcome, { error: 'ECONNRESET' })
    const [code] = (await closed) as [number | null]
    t.is(code, 0)
    t.like(
      web.logs.find((entry) => entry.msg === 'http drain deadline passed; cutting connections'),
      { in_flight: 1 },
    )
    t.like(
      web.logs.find((entry) => entry.msg === 'http drained'),
      { cut: 1 },
    )
  },
)
