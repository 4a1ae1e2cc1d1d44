import type { AddressInfo } from 'node:net'
import test from 'ava'
import Koa from 'koa'
import { pino } from 'pino'
import { jsonBodyOnDemand } from '../../api/body.js'
import { errorHandler } from '../../api/middleware/errors.js'
import { requestId } from '../../api/middleware/request-id.js'
import { authRoutes } from '../../api/routes/auth.js'
import type { User } from '../../src/accounts/models.js'
import { createUser, toUserJson } from '../../src/accounts/users.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

const badCredentials = {
  message: 'These credentials do not match our records.',
  errors: { email: ['These credentials do not match our records.'] },
}
const unauthenticated = { message: 'Unauthenticated.' }

let fresh: FreshDatabase
let server: ReturnType<Koa['listen']>
let baseUrl: string
let ada: User

test.before(async () => {
  fresh = await freshDatabase()
  ada = await createUser(fresh.db, {
    name: 'Ada',
    email: 'Ada@Example.com',
    password: 'lovelace-1815',
  })

  const app = new Koa()
  const router = authRoutes(fresh.db)
  app.use(errorHandler(pino({ level: 'silent' })))
  app.use(requestId)
  app.use(jsonBodyOnDemand('1mb'))
  app.use(router.routes())
  app.use(router.allowedMethods())
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

test.after.always(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await fresh?.close()
})

async function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  const response = await fetch(baseUrl + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), response }
}

async function signIn(name?: string): Promise<string> {
  const { body } = await call('POST', '/api/auth/tokens', {
    body: { email: 'ada@example.com', password: 'lovelace-1815', name },
  })
  return body.data.token
}

test('signing in issues a token shown once with the user', async (t) => {
  const { status, body, response } = await call('POST', '/api/auth/tokens', {
    body: { email: 'ADA@example.COM', password: 'lovelace-1815', name: 'laptop' },
  })

  t.is(status, 201)
  t.truthy(response.headers.get('x-request-id'))
  t.regex(body.data.token, /^\d+\|[A-Za-z0-9_-]{43}$/)
  t.deepEqual(body, {
    data: {
      token: body.data.token,
      token_id: Number(body.data.token.split('|')[0]),
      name: 'laptop',
      abilities: [],
      user: toUserJson(ada),
    },
  })
})

test('a token without a name is called api', async (t) => {
  const { status, body } = await call('POST', '/api/auth/tokens', {
    body: { email: 'ada@example.com', password: 'lovelace-1815' },
  })

  t.is(status, 201)
  t.is(body.data.name, 'api')
})

test('a wrong password and an unknown e-mail get the same 422', async (t) => {
  const wrongPassword = await call('POST', '/api/auth/tokens', {
    body: { email: 'ada@example.com', password: 'babbage' },
  })
  const unknownEmail = await call('POST', '/api/auth/tokens', {
    body: { email: 'nobody@example.com', password: 'lovelace-1815' },
  })

  t.deepEqual([wrongPassword.status, wrongPassword.body], [422, badCredentials])
  t.deepEqual([unknownEmail.status, unknownEmail.body], [422, badCredentials])
})

test('a malformed sign-in names every bad field', async (t) => {
  const { status, body } = await call('POST', '/api/auth/tokens', {
    body: { email: 'not-an-email', name: '' },
  })

  t.is(status, 422)
  t.deepEqual(body, {
    message: 'The given data was invalid.',
    errors: {
      email: ['Invalid email address'],
      password: ['is required'],
      name: ['Too small: expected string to have >=1 characters'],
    },
  })
})

test('a JSON body that is not an object gets 422', async (t) => {
  const cases: [unknown, string][] = [
    ['just a string', 'string'],
    [['ada@example.com'], 'array'],
    [42, 'number'],
  ]
  for (const [payload, kind] of cases) {
    const { status, body } = await call('POST', '/api/auth/tokens', { body: payload })
    t.deepEqual(
      [status, body],
      [
        422,
        {
          message: 'The given data was invalid.',
          errors: { _: [`Invalid input: expected object, received ${kind}`] },
        },
      ],
    )
  }
})

test('malformed JSON gets 400', async (t) => {
  const response = await fetch(`${baseUrl}/api/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"email":',
  })

  t.is(response.status, 400)
  t.deepEqual(await response.json(), { message: 'The request body is not valid JSON.' })
})

test('me returns the caller', async (t) => {
  const token = await signIn()

  const { status, body } = await call('GET', '/api/auth/me', { token })

  t.deepEqual([status, body], [200, { data: toUserJson(ada) }])
})

test('no token, an unknown token or another scheme get 401', async (t) => {
  t.deepEqual(await call('GET', '/api/auth/me').then((r) => [r.status, r.body]), [
    401,
    unauthenticated,
  ])
  t.deepEqual(
    await call('GET', '/api/auth/me', { token: '1|nope' }).then((r) => [r.status, r.body]),
    [401, unauthenticated],
  )
  const token = await signIn()
  const basic = await fetch(`${baseUrl}/api/auth/me`, {
    headers: { authorization: `Basic ${token}` },
  })
  t.is(basic.status, 401)
  t.is(basic.headers.get('www-authenticate'), 'Bearer')
})

test('revoking the current token ends it and only it', async (t) => {
  const current = await signIn('current')
  const other = await signIn('other')

  const revoked = await call('DELETE', '/api/auth/tokens/current', { token: current })

  t.deepEqual([revoked.status, revoked.body], [204, undefined])
  t.deepEqual(
    await call('GET', '/api/auth/me', { token: current }).then((r) => [r.status, r.body]),
    [401, unauthenticated],
  )
  t.is((await call('DELETE', '/api/auth/tokens/current', { token: current })).status, 401)
  t.is((await call('GET', '/api/auth/me', { token: other })).status, 200)
})
