import test from 'ava'
import type { User } from '../../src/accounts/models.js'
import { createUser } from '../../src/accounts/users.js'
import { addActivityEntry } from '../../src/activity/activity-log.js'
import { type AccountsRig, signIn, startAccountsApi } from '../fixtures/accounts-api.js'
import { userWithToken } from '../fixtures/api.js'

const invalid = 'The given data was invalid.'
const isoUtc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

let rig: AccountsRig

test.before(async () => {
  rig = await startAccountsApi()
})

test.after.always(async () => {
  await rig?.close()
})

const log = (token: string, query = '') => rig.call('GET', `/api/activity-log${query}`, { token })

let counter = 0
async function adminWithPassword(password: string): Promise<User> {
  return createUser(rig.postgres.db, {
    name: 'Logger',
    email: `logger-${++counter}@example.com`,
    password,
    is_admin: true,
  })
}

/** Entries of one user written straight to the table, at chosen instants. */
async function seed(user: User, entries: [event: string, at: string][]): Promise<number[]> {
  const ids: number[] = []
  for (const [event, at] of entries) {
    ids.push(
      await addActivityEntry(rig.postgres.db, {
        user_id: user.id,
        event,
        description: event,
        created_at: new Date(at),
      }),
    )
  }
  return ids
}

test('user and token actions are logged as the acting admin, newest first', async (t) => {
  const admin = await adminWithPassword('admin-password-1')
  const first = await signIn(rig, admin.email, 'admin-password-1')
  const created = await rig.call('POST', '/api/users', {
    token: first,
    body: { name: 'Target', email: 'target@log.io', password: 'target-secret-1', is_admin: false },
  })
  const id = created.body.data.id
  await rig.call('PUT', `/api/users/${id}`, {
    token: first,
    body: { name: 'Renamed', email: 'target@log.io', is_admin: false, password: 'target-secret-2' },
  })
  await rig.call('DELETE', `/api/users/${id}`, { token: first })
  await rig.call('DELETE', '/api/auth/tokens/current', { token: first })
  const second = await signIn(rig, admin.email, 'admin-password-1')

  const { status, body } = await log(second)

  t.is(status, 200)
  const [firstId, secondId] = [first, second].map((token) => token.split('|')[0])
  t.deepEqual(
    body.data.map(({ id: _, created_at: __, ...entry }: Record<string, unknown>) => entry),
    [
      {
        event: 'token.created',
        description: 'Created API token "api"',
        subject_type: 'api_token',
        subject_id: secondId,
        properties: { name: 'api', abilities: [] },
      },
      {
        event: 'token.revoked',
        description: `Revoked API token #${firstId}`,
        subject_type: 'api_token',
        subject_id: firstId,
        properties: {},
      },
      {
        event: 'user.deleted',
        description: 'Deleted user target@log.io',
        subject_type: 'user',
        subject_id: String(id),
        properties: { email: 'target@log.io', tokens_revoked: 0 },
      },
      {
        event: 'user.updated',
        description: 'Updated user target@log.io',
        subject_type: 'user',
        subject_id: String(id),
        properties: { changed: ['name', 'password'], tokens_revoked: 0 },
      },
      {
        event: 'user.created',
        description: 'Created user target@log.io',
        subject_type: 'user',
        subject_id: String(id),
        properties: { name: 'Target', email: 'target@log.io', is_admin: false },
      },
      {
        event: 'token.created',
        description: 'Created API token "api"',
        subject_type: 'api_token',
        subject_id: firstId,
        properties: { name: 'api', abilities: [] },
      },
    ],
  )
  const ids = body.data.map((entry: { id: number }) => entry.id)
  t.true(ids.every((entryId: unknown) => typeof entryId === 'number'))
  t.deepEqual(
    ids,
    [...ids].sort((a: number, b: number) => b - a),
  )
  t.true(body.data.every((entry: { created_at: string }) => isoUtc.test(entry.created_at)))
  t.deepEqual(body.meta, { current_page: 1, last_page: 1, per_page: 15, total: 6 })
})

test('no password or password hash appears in any entry', async (t) => {
  const admin = await adminWithPassword('admin-password-2')
  const token = await signIn(rig, admin.email, 'admin-password-2')
  const created = await rig.call('POST', '/api/users', {
    token,
    body: {
      name: 'Secretive',
      email: 'secretive@log.io',
      password: 'hunter2-hunter2',
      is_admin: true,
    },
  })
  await rig.call('PUT', `/api/users/${created.body.data.id}`, {
    token,
    body: { name: 'S', email: 'secretive@log.io', is_admin: true, password: 'swordfish-99' },
  })
  await rig.call('PUT', `/api/users/${admin.id}`, {
    token,
    body: { name: 'Me', email: admin.email, is_admin: true, password: 'admin-password-3' },
  })

  const [rows] = await rig.postgres.db.sequelize.query('SELECT * FROM activity_log')
  const everything = JSON.stringify(rows)

  t.true(everything.includes('"changed":["name","password"]'))
  for (const secret of ['admin-password', 'hunter2', 'swordfish', '$argon2', 'password_hash']) {
    t.false(everything.includes(secret), secret)
  }
})

test('each caller sees only their own entries', async (t) => {
  const admin = await adminWithPassword('admin-password-4')
  const adminToken = await signIn(rig, admin.email, 'admin-password-4')
  await rig.call('POST', '/api/users', {
    token: adminToken,
    body: { name: 'Plain', email: 'plain@log.io', password: 'plain-secret', is_admin: false },
  })
  const plainToken = await signIn(rig, 'plain@log.io', 'plain-secret')

  const plain = await log(plainToken)
  const mine = await log(adminToken)

  t.is(plain.status, 200)
  t.deepEqual(
    plain.body.data.map((entry: { event: string }) => entry.event),
    ['token.created'],
  )
  t.deepEqual(
    mine.body.data.map((entry: { event: string }) => entry.event),
    ['user.created', 'token.created'],
  )
})

test('a refused action and an unchanged PUT write no entry', async (t) => {
  const admin = await adminWithPassword('admin-password-5')
  const token = await signIn(rig, admin.email, 'admin-password-5')
  const body = { name: 'Once', email: 'once@log.io', password: 'once-secret', is_admin: false }
  const created = await rig.call('POST', '/api/users', { token, body })

  const duplicate = await rig.call('POST', '/api/users', { token, body })
  const selfDelete = await rig.call('DELETE', `/api/users/${admin.id}`, { token })
  const bad = await rig.call('POST', '/api/users', { token, body: { ...body, email: 'x' } })
  const unchanged = await rig.call('PUT', `/api/users/${created.body.data.id}`, {
    token,
    body: { name: 'Once', email: 'once@log.io', is_admin: false },
  })

  t.deepEqual(
    [duplicate.status, selfDelete.status, bad.status, unchanged.status],
    [409, 409, 422, 200],
  )
  const events = (await log(token)).body.data.map((entry: { event: string }) => entry.event)
  t.deepEqual(events, ['user.created', 'token.created'])
})

test('entries sharing a timestamp come newest id first and pages never repeat one', async (t) => {
  const { user, token } = await userWithToken(rig.postgres.db, 'ties')
  const same = '2026-05-01T12:00:00.000Z'
  const ids = await seed(user, [
    ['tie.one', same],
    ['tie.two', same],
    ['tie.three', same],
    ['tie.four', same],
    ['tie.five', same],
  ])

  const pages = await Promise.all([1, 2, 3].map((page) => log(token, `?per_page=2&page=${page}`)))

  const seen = pages.flatMap((page) => page.body.data.map((entry: { id: number }) => entry.id))
  t.deepEqual(seen, [...ids].reverse())
  t.deepEqual(pages[2]?.body.meta, { current_page: 3, last_page: 3, per_page: 2, total: 5 })
  t.is(pages[0]?.body.data[0].created_at, same)
})

test('event filters by exact name', async (t) => {
  const { user, token } = await userWithToken(rig.postgres.db, 'events')
  const [older, , newer] = await seed(user, [
    ['video.uploaded', '2026-03-01T10:00:00Z'],
    ['video.uploaded.twice', '2026-03-01T11:00:00Z'],
    ['video.uploaded', '2026-03-01T12:00:00Z'],
  ])

  const { body } = await log(token, '?event=video.uploaded')
  const none = await log(token, '?event=video')

  t.deepEqual(
    body.data.map((entry: { id: number }) => entry.id),
    [newer, older],
  )
  t.is(body.meta.total, 2)
  t.deepEqual(none.body, {
    data: [],
    meta: { current_page: 1, last_page: 1, per_page: 15, total: 0 },
  })
})

test('from and to are inclusive UTC days', async (t) => {
  const { user, token } = await userWithToken(rig.postgres.db, 'days')
  const [before, start, end, after] = await seed(user, [
    ['day', '2026-02-28T23:59:59.999Z'],
    ['day', '2026-03-01T00:00:00.000Z'],
    ['day', '2026-03-02T23:59:59.999Z'],
    ['day', '2026-03-03T00:00:00.000Z'],
  ])
  const idsOf = async (query: string) =>
    (await log(token, query)).body.data.map((entry: { id: number }) => entry.id)

  t.deepEqual(await idsOf('?from=2026-03-01&to=2026-03-02'), [end, start])
  t.deepEqual(await idsOf('?from=2026-03-01&to=2026-03-01'), [start])
  t.deepEqual(await idsOf('?from=2026-03-02'), [after, end])
  t.deepEqual(await idsOf('?to=2026-02-28'), [before])
  t.deepEqual(await idsOf('?event=day&from=2026-02-01&to=2026-03-31'), [after, end, start, before])
})

test('bad filters and page parameters get 422 naming the field', async (t) => {
  const { token } = await userWithToken(rig.postgres.db, 'bad-filters')
  const day = ['must be a real date written YYYY-MM-DD']
  const cases: [string, Record<string, string[]>][] = [
    ['from=2026-02-30', { from: day }],
    ['to=2026/03/01', { to: day }],
    ['from=2026-03-02&to=2026-03-01', { from: ['must not be after to'] }],
    ['event=', { event: ['must not be empty'] }],
    [`event=${'e'.repeat(101)}`, { event: ['must be at most 100 characters'] }],
    ['event=a&event=b', { event: ['must be given only once'] }],
    ['user_id=1', { user_id: ['is not a known field'] }],
    ['page=0', { page: ['must be a whole number of at least 1'] }],
    ['per_page=1e9', { per_page: ['must be a whole number of at least 1'] }],
  ]

  for (const [query, errors] of cases) {
    t.deepEqual(await log(token, `?${query}`), { status: 422, body: { message: invalid, errors } })
  }
})

test('the log needs a token', async (t) => {
  t.deepEqual(await rig.call('GET', '/api/activity-log'), {
    status: 401,
    body: { message: 'Unauthenticated.' },
  })
})
