import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ClickHouseError } from '@clickhouse/client'
import test from 'ava'
import { pino } from 'pino'
import {
  identifier,
  isRetryableClickHouseError,
  openClickHouse,
} from '../../src/clickhouse/client.js'

const log = pino({ level: 'silent' })

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function close(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (err: unknown) => err,
  )
}

test('identifier accepts plain names and refuses anything that could break out of SQL', (t) => {
  t.is(identifier('nukevideo_2'), 'nukevideo_2')
  for (const bad of ['', '2fast', 'a.b', 'a-b', 'x; DROP TABLE y', 'na`me', 'é']) {
    t.throws(() => identifier(bad), { message: /not a plain SQL identifier/ })
  }
})

test('server errors are retryable by their numeric code only', (t) => {
  const error = (code: string, type: string) =>
    new ClickHouseError({ message: 'Timeout exceeded, socket hang up', code, type })

  t.true(isRetryableClickHouseError(error('159', 'TIMEOUT_EXCEEDED')))
  t.true(isRetryableClickHouseError(error('252', 'TOO_MANY_PARTS')))
  t.true(isRetryableClickHouseError(error('319', 'UNKNOWN_STATUS_OF_INSERT')))
  t.false(isRetryableClickHouseError(error('62', 'SYNTAX_ERROR')))
  t.false(isRetryableClickHouseError(error('60', 'UNKNOWN_TABLE')))
  t.false(isRetryableClickHouseError(new Error('socket hang up')))
  t.false(isRetryableClickHouseError(undefined))
})

test('a refused connection is retryable', async (t) => {
  const server = createServer()
  const url = await listen(server)
  await close(server)

  const ch = openClickHouse({ url, dataDir: '/nonexistent', database: 'x', log })
  t.teardown(() => ch.close())

  const err = await failureOf(ch.client.query({ query: 'SELECT 1' }))
  t.is((err as NodeJS.ErrnoException).code, 'ECONNREFUSED')
  t.true(isRetryableClickHouseError(err))
})

test('a socket closed by the server mid-request is retryable', async (t) => {
  const server = createServer((req) => req.socket.destroy())
  const url = await listen(server)
  t.teardown(() => close(server))

  const ch = openClickHouse({ url, dataDir: '/nonexistent', database: 'x', log })
  t.teardown(() => ch.close())

  const err = await failureOf(ch.client.query({ query: 'SELECT 1' }))
  t.is((err as NodeJS.ErrnoException).code, 'ECONNRESET')
  t.true(isRetryableClickHouseError(err))
})

test('a request that outlives requestTimeoutMs fails retryably', async (t) => {
  const server = createServer(() => {})
  const url = await listen(server)
  t.teardown(() => close(server))

  const ch = openClickHouse({
    url,
    dataDir: '/nonexistent',
    database: 'x',
    log,
    requestTimeoutMs: 200,
  })
  t.teardown(() => ch.close())

  t.true(isRetryableClickHouseError(await failureOf(ch.client.query({ query: 'SELECT 1' }))))
})

test('credentials in the URL become basic auth and leave the URL', async (t) => {
  let seen: { url?: string; headers?: IncomingHttpHeaders } = {}
  const server = createServer((req, res) => {
    seen = { url: req.url, headers: req.headers }
    res.end('Ok.\n')
  })
  const url = await listen(server)
  t.teardown(() => close(server))

  const withUser = url.replace('http://', 'http://metering:s%40cret@')
  const ch = openClickHouse({ url: withUser, dataDir: '/nonexistent', database: 'x', log })
  t.teardown(() => ch.close())

  t.deepEqual(await ch.client.ping(), { success: true })
  t.is(seen.url, '/ping')
  t.is(seen.headers?.authorization, `Basic ${Buffer.from('metering:s@cret').toString('base64')}`)
  t.is(ch.embedded, false)
  t.is(ch.database, 'x')
})
