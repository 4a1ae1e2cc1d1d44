import test from 'ava'
import { createUser } from '../../src/accounts/users.js'
import { type AccountsRig, startAccountsApi } from '../fixtures/accounts-api.js'

let rig: AccountsRig
let emails: string[]

test.before(async () => {
  rig = await startAccountsApi()
  // 17 more users than the admin: one more than a default page of 15.
  for (let i = 1; i <= 17; i++) {
    await createUser(rig.postgres.db, {
      name: `User ${i}`,
      email: `user${String(i).padStart(2, '0')}@example.com`,
      password: 'password-123',
    })
  }
  emails = (await rig.postgres.db.User.findAll({ order: [['id', 'ASC']] })).map((u) => u.email)
})

test.after.always(async () => {
  await rig?.close()
})

const list = (query: string) => rig.call('GET', `/api/users${query}`, { token: rig.admin.token })

test('the first page holds 15 users, oldest first, with numeric meta', async (t) => {
  const { status, body } = await list('')

  t.is(status, 200)
  t.deepEqual(body.meta, { current_page: 1, last_page: 2, per_page: 15, total: 18 })
  t.deepEqual(
    body.data.map((user: { email: string }) => user.email),
    emails.slice(0, 15),
  )
  t.deepEqual(Object.keys(body.data[0]).sort(), [
    'created_at',
    'email',
    'id',
    'is_admin',
    'name',
    'ulid',
    'updated_at',
  ])
})

test('page and per_page pick the window', async (t) => {
  const { body } = await list('?page=3&per_page=4')

  t.deepEqual(body.meta, { current_page: 3, last_page: 5, per_page: 4, total: 18 })
  t.deepEqual(
    body.data.map((user: { email: string }) => user.email),
    emails.slice(8, 12),
  )
})

test('a page past the end is empty and per_page 100 is allowed', async (t) => {
  t.deepEqual((await list('?page=9')).body, {
    data: [],
    meta: { current_page: 9, last_page: 2, per_page: 15, total: 18 },
  })
  const { body } = await list('?per_page=100')
  t.is(body.data.length, 18)
  t.deepEqual(body.meta, { current_page: 1, last_page: 1, per_page: 100, total: 18 })
})

test('a bad page or per_page gets 422 naming the field', async (t) => {
  const wholeNumber = ['must be a whole number of at least 1']
  const cases: [string, Record<string, string[]>][] = [
    ['page=abc', { page: wholeNumber }],
    ['page=-1', { page: wholeNumber }],
    ['page=10abc', { page: wholeNumber }],
    ['page=1e9', { page: wholeNumber }],
    ['page=0', { page: wholeNumber }],
    ['page=', { page: wholeNumber }],
    ['per_page=abc', { per_page: wholeNumber }],
    ['per_page=-1', { per_page: wholeNumber }],
    ['per_page=10abc', { per_page: wholeNumber }],
    ['per_page=1e9', { per_page: wholeNumber }],
    ['per_page=0', { per_page: wholeNumber }],
    ['per_page=101', { per_page: ['must be at most 100'] }],
    ['page=1&page=2', { page: ['must be given only once'] }],
    ['sort=name', { sort: ['is not a known field'] }],
    ['page=0&per_page=500', { page: wholeNumber, per_page: ['must be at most 100'] }],
  ]

  for (const [query, errors] of cases) {
    t.deepEqual(
      await list(`?${query}`),
      { status: 422, body: { message: 'The given data was invalid.', errors } },
      query,
    )
  }
})
