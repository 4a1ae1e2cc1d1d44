import test from 'ava'
import { pino } from 'pino'
import { UniqueConstraintError } from 'sequelize'
import { ensureAdmin } from '../../src/accounts/bootstrap.js'
import { verifyPassword } from '../../src/accounts/passwords.js'
import { newUlid } from '../../src/accounts/ulid.js'
import { createUser, findUserByEmail, isEmailTaken, toUserJson } from '../../src/accounts/users.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

const log = pino({ level: 'silent' })
let fresh: FreshDatabase

test.before(async () => {
  fresh = await freshDatabase()
})

test.after.always(async () => {
  await fresh?.close()
})

test('the database accepts exactly one of two concurrent e-mails differing in case', async (t) => {
  const outcomes = await Promise.allSettled([
    createUser(fresh.db, { name: 'One', email: 'A.User@Example.com', password: 'secret-one' }),
    createUser(fresh.db, { name: 'Two', email: 'a.user@example.com', password: 'secret-two' }),
  ])

  t.is(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1)
  const failure = outcomes.find((outcome) => outcome.status === 'rejected')
  t.true(failure?.reason instanceof UniqueConstraintError)
  t.true(isEmailTaken(failure?.reason))
  t.is(await fresh.db.User.count({ where: { name: ['One', 'Two'] } }), 1)
})

test('a deleted user keeps the row and frees the e-mail', async (t) => {
  const first = await createUser(fresh.db, {
    name: 'Gone',
    email: 'gone@example.com',
    password: 'p1',
  })
  await first.destroy()

  const second = await createUser(fresh.db, {
    name: 'New',
    email: 'GONE@example.com',
    password: 'p2',
  })

  t.is((await findUserByEmail(fresh.db, 'Gone@Example.COM'))?.id, second.id)
  t.is((await fresh.db.User.findByPk(first.id, { paranoid: false }))?.name, 'Gone')
})

test('users serialize with numeric ids, a ULID and ISO UTC timestamps', async (t) => {
  const user = await createUser(fresh.db, {
    name: 'Ada',
    email: 'ada@example.com',
    password: 'correct horse',
  })
  const reloaded = await fresh.db.User.findByPk(user.id)
  if (!reloaded) return t.fail('user not found')

  const json = toUserJson(reloaded)
  t.is(typeof json.id, 'number')
  t.regex(json.ulid, /^[0-9A-HJKMNP-TV-Z]{26}$/)
  t.regex(json.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.deepEqual(json, {
    id: user.id,
    ulid: user.ulid,
    name: 'Ada',
    email: 'ada@example.com',
    is_admin: false,
    created_at: reloaded.created_at.toISOString(),
    updated_at: reloaded.updated_at.toISOString(),
  })
  t.true(await verifyPassword(reloaded.password_hash, 'correct horse'))
  t.false(await verifyPassword(reloaded.password_hash, 'Correct horse'))
  t.true(reloaded.password_hash.startsWith('$argon2id$'))
})

test('ULIDs start with the time and sort by it', (t) => {
  t.is(newUlid(0).slice(0, 10), '0000000000')
  t.is(newUlid(1_469_918_176_385).slice(0, 10), '01ARYZ6S41')
  t.true(newUlid(1_000) < newUlid(2_000))
})

test('the bootstrap admin is created once and never overwritten', async (t) => {
  const seed = { email: 'Root@Example.com', password: 'first-password', name: 'Root' }
  const created = await ensureAdmin(fresh.db, seed, log)
  const again = await ensureAdmin(fresh.db, { ...seed, email: 'root@example.com' }, log)
  const changed = await ensureAdmin(fresh.db, { ...seed, password: 'second-password' }, log)

  t.true(created.created)
  t.true(created.user.is_admin)
  t.deepEqual([again.created, again.user.id], [false, created.user.id])
  t.deepEqual([changed.created, changed.user.id], [false, created.user.id])
  const stored = await fresh.db.User.findByPk(created.user.id)
  t.true(await verifyPassword(stored?.password_hash ?? '', 'first-password'))
})

test('concurrent bootstraps of the same admin leave one user', async (t) => {
  const seed = { email: 'boot@example.com', password: 'boot-password', name: 'Boot' }

  const results = await Promise.all([
    ensureAdmin(fresh.db, seed, log),
    ensureAdmin(fresh.db, seed, log),
  ])

  t.is(results.filter((result) => result.created).length, 1)
  t.is(results[0].user.id, results[1].user.id)
})
