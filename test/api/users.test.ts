import test from 'ava'
import { toUserJson } from '../../src/accounts/users.js'
import { type AccountsRig, signIn, startAccountsApi } from '../fixtures/accounts-api.js'
import { userWithToken } from '../fixtures/api.js'

const invalid = 'The given data was invalid.'
const forbidden = { message: 'This action is unauthorized.' }
const notFound = { message: 'User not found.' }
const emailTaken = {
  message: 'The email has already been taken.',
  errors: { email: ['has already been taken'] },
}

let rig: AccountsRig
let admin: string

test.before(async () => {
  rig = await startAccountsApi()
  admin = rig.admin.token
})

test.after.always(async () => {
  await rig?.close()
})

const newUser = (email: string, extra: Record<string, unknown> = {}) => ({
  name: 'Grace Hopper',
  email,
  password: 'cobol-1959',
  is_admin: false,
  ...extra,
})

test('an admin creates a user, reads it back, and the user can sign in', async (t) => {
  const created = await rig.call('POST', '/api/users', {
    token: admin,
    body: newUser('  Grace@Example.com '),
  })

  t.is(created.status, 201)
  const stored = await rig.postgres.db.User.findByPk(created.body.data.id)
  if (!stored) return t.fail('user not stored')
  t.deepEqual(created.body, { data: toUserJson(stored) })
  t.like(created.body.data, { name: 'Grace Hopper', email: 'Grace@Example.com', is_admin: false })
  t.is(typeof created.body.data.id, 'number')
  t.regex(created.body.data.ulid, /^[0-9A-HJKMNP-TV-Z]{26}$/)

  const read = await rig.call('GET', `/api/users/${stored.id}`, { token: admin })
  t.deepEqual(read, { status: 200, body: { data: toUserJson(stored) } })
  t.truthy(await signIn(rig, 'grace@example.com', 'cobol-1959'))
})

test('an e-mail taken in another case gets 409 naming email', async (t) => {
  t.is(
    (await rig.call('POST', '/api/users', { token: admin, body: newUser('ada@x.io') })).status,
    201,
  )

  const again = await rig.call('POST', '/api/users', { token: admin, body: newUser('ADA@X.IO') })

  t.deepEqual(again, { status: 409, body: emailTaken })
})

test('two concurrent creates differing only in case: one 201 and one 409, never 500', async (t) => {
  for (let round = 0; round < 4; round++) {
    const replies = await Promise.all([
      rig.call('POST', '/api/users', { token: admin, body: newUser(`A.User${round}@Example.com`) }),
      rig.call('POST', '/api/users', { token: admin, body: newUser(`a.user${round}@example.com`) }),
    ])

    t.deepEqual(replies.map((reply) => reply.status).sort(), [201, 409])
    t.deepEqual(replies.find((reply) => reply.status === 409)?.body, emailTaken)
    const stored = await rig.postgres.db.User.findAll({ where: { name: 'Grace Hopper' } })
    t.is(
      stored.filter((user) => user.email.toLowerCase() === `a.user${round}@example.com`).length,
      1,
    )
  }
})

test('a deleted user frees their e-mail', async (t) => {
  const first = await rig.call('POST', '/api/users', { token: admin, body: newUser('re@use.io') })
  t.is((await rig.call('DELETE', `/api/users/${first.body.data.id}`, { token: admin })).status, 204)

  const second = await rig.call('POST', '/api/users', { token: admin, body: newUser('RE@use.io') })

  t.is(second.status, 201)
  t.not(second.body.data.id, first.body.data.id)
})

test('a malformed create names every bad field, unknown ones included', async (t) => {
  const reply = await rig.call('POST', '/api/users', {
    token: admin,
    body: {
      name: ' ',
      email: 'nope',
      password: 'short',
      is_admin: 'yes',
      id: 7,
      password_hash: 'x',
    },
  })

  t.deepEqual(reply, {
    status: 422,
    body: {
      message: invalid,
      errors: {
        name: ['Too small: expected string to have >=1 characters'],
        email: ['Invalid email address'],
        password: ['Too small: expected string to have >=8 characters'],
        is_admin: ['Invalid input: expected boolean, received string'],
        id: ['is not a known field'],
        password_hash: ['is not a known field'],
      },
    },
  })
})

test('create requires every field; a body that is not an object gets 422', async (t) => {
  const empty = await rig.call('POST', '/api/users', { token: admin, body: {} })
  t.is(empty.status, 422)
  t.deepEqual(Object.keys(empty.body.errors).sort(), ['email', 'is_admin', 'name', 'password'])

  const list = await rig.call('POST', '/api/users', { token: admin, body: [1] })
  t.deepEqual(list.body.errors, { _: ['Invalid input: expected object, received array'] })
})

test('PUT replaces name, e-mail and admin flag and keeps the password', async (t) => {
  const { user } = await userWithToken(rig.postgres.db, 'put')

  const reply = await rig.call('PUT', `/api/users/${user.id}`, {
    token: admin,
    body: { name: 'Renamed', email: 'Renamed@Example.com', is_admin: true },
  })

  await user.reload()
  t.deepEqual(reply, { status: 200, body: { data: toUserJson(user) } })
  t.like(reply.body.data, { name: 'Renamed', email: 'Renamed@Example.com', is_admin: true })
  t.true(user.updated_at > user.created_at)
  t.truthy(await signIn(rig, 'renamed@example.com', 'correct-horse-battery'))
})

test('PUT to an e-mail another user has, in any case, gets 409', async (t) => {
  const { user: holder } = await userWithToken(rig.postgres.db, 'holder')
  const { user } = await userWithToken(rig.postgres.db, 'mover')

  const reply = await rig.call('PUT', `/api/users/${user.id}`, {
    token: admin,
    body: { name: 'Mover', email: holder.email.toUpperCase(), is_admin: false },
  })

  t.deepEqual(reply, { status: 409, body: emailTaken })
  await user.reload()
  t.is(user.name, 'mover')
})

test('PUT names unknown and missing fields', async (t) => {
  const { user } = await userWithToken(rig.postgres.db, 'strict')

  const reply = await rig.call('PUT', `/api/users/${user.id}`, {
    token: admin,
    body: { name: 'X', email: user.email, password: null, role: 'admin' },
  })

  t.deepEqual(reply, {
    status: 422,
    body: {
      message: invalid,
      errors: {
        is_admin: ['is required'],
        password: ['Invalid input: expected string, received null'],
        role: ['is not a known field'],
      },
    },
  })
})

test('a non-admin gets 403 on all five routes, whatever they send', async (t) => {
  const { user, token } = await userWithToken(rig.postgres.db, 'plain')
  const garbage = { rawBody: '{"name":1,"bogus":true}' }
  const calls: [string, string, object][] = [
    ['GET', '/api/users', {}],
    ['GET', '/api/users?page=abc&per_page=-1&x=1', {}],
    ['GET', `/api/users/${user.id}`, {}],
    ['GET', '/api/users/abc', {}],
    ['POST', '/api/users', { body: newUser('sneaky@example.com', { is_admin: true }) }],
    ['POST', '/api/users', garbage],
    ['PUT', `/api/users/${user.id}`, { body: { name: 'Me', email: user.email, is_admin: true } }],
    ['PUT', '/api/users/999999', garbage],
    ['POST', '/api/users', { rawBody: '{"name": ' }],
    ['PUT', `/api/users/${user.id}`, { rawBody: `[${'1,'.repeat(600_000)}1]` }],
    ['DELETE', `/api/users/${rig.admin.user.id}`, {}],
    ['DELETE', '/api/users/abc', {}],
  ]

  for (const [method, path, options] of calls) {
    const reply = await rig.call(method, path, { token, ...options })
    t.deepEqual(reply, { status: 403, body: forbidden }, `${method} ${path}`)
  }
  await user.reload()
  t.false(user.is_admin)
  t.is(await rig.postgres.db.User.count({ where: { email: 'sneaky@example.com' } }), 0)
})

test('no token gets 401 on the users routes', async (t) => {
  t.deepEqual(await rig.call('GET', '/api/users'), {
    status: 401,
    body: { message: 'Unauthenticated.' },
  })
  t.is((await rig.call('DELETE', '/api/users/1')).status, 401)
})

test('a non-numeric, unknown or deleted id gets 404 on GET, PUT and DELETE', async (t) => {
  const gone = await rig.call('POST', '/api/users', { token: admin, body: newUser('gone@x.io') })
  await rig.call('DELETE', `/api/users/${gone.body.data.id}`, { token: admin })
  const ids = [
    'abc',
    '12abc',
    '0',
    '-1',
    '1e3',
    '1.5',
    '99999',
    '2147483648',
    '99999999999999999999',
    String(gone.body.data.id),
  ]
  const body = { name: 'Nobody', email: 'nobody@example.com', is_admin: false }

  for (const id of ids) {
    t.deepEqual(await rig.call('GET', `/api/users/${id}`, { token: admin }), {
      status: 404,
      body: notFound,
    })
    t.is((await rig.call('PUT', `/api/users/${id}`, { token: admin, body })).status, 404, id)
    t.is((await rig.call('DELETE', `/api/users/${id}`, { token: admin })).status, 404, id)
  }
})

test('a deleted user keeps the row, gone from the API', async (t) => {
  const { user } = await userWithToken(rig.postgres.db, 'soft')

  const reply = await rig.call('DELETE', `/api/users/${user.id}`, { token: admin })

  t.deepEqual(reply, { status: 204, body: undefined })
  const row = await rig.postgres.db.User.findByPk(user.id, { paranoid: false })
  t.is(row?.email, user.email)
  t.truthy(row?.deleted_at)
  t.is((await rig.call('GET', `/api/users/${user.id}`, { token: admin })).status, 404)
})

test('a name PostgreSQL would rewrite is refused, not changed on the way in', async (t) => {
  for (const name of ['a\u0000b', 'half \ud800']) {
    const reply = await rig.call('POST', '/api/users', {
      token: admin,
      body: newUser(`odd-${name.length}@example.com`, { name }),
    })
    t.deepEqual(reply, {
      status: 422,
      body: {
        message: 'The given data was invalid.',
        errors: { name: ['must not contain NUL characters or unpaired surrogates'] },
      },
    })
  }
})
