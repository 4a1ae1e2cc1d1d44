import test from 'ava'
import { deleteUserAs, updateUserAs } from '../../src/accounts/user-admin.js'
import { createUser } from '../../src/accounts/users.js'
import { ConflictError, ForbiddenError } from '../../src/errors.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

let counter = 0
const admin = (db: FreshDatabase['db']) =>
  createUser(db, {
    name: 'Admin',
    email: `admin-${++counter}@example.com`,
    password: 'password-123',
    is_admin: true,
  })

/** Each test owns its database: the rules below depend on how many admins exist. */
async function withDatabase(work: (db: FreshDatabase['db']) => Promise<void>): Promise<void> {
  const fresh = await freshDatabase()
  try {
    await work(fresh.db)
  } finally {
    await fresh.close()
  }
}

test('the last admin cannot be deleted, even by an admin demoted a moment ago', async (t) => {
  await withDatabase(async (db) => {
    const stale = await admin(db)
    const last = await admin(db)
    await db.User.update({ is_admin: false }, { where: { id: stale.id } })

    const error = await t.throwsAsync(deleteUserAs(db, { id: stale.id }, last.id))

    t.true(error instanceof ConflictError)
    t.is(error?.message, 'The last admin cannot be deleted.')
    t.is(await db.User.count({ where: { is_admin: true } }), 1)
  })
})

test('the last admin cannot be demoted', async (t) => {
  await withDatabase(async (db) => {
    const stale = await admin(db)
    const last = await admin(db)
    await db.User.update({ is_admin: false }, { where: { id: stale.id } })

    const error = await t.throwsAsync(
      updateUserAs(db, { id: stale.id }, last.id, {
        name: 'Last',
        email: last.email,
        is_admin: false,
      }),
    )

    t.true(error instanceof ConflictError)
    t.is(error?.message, 'The last admin cannot lose admin rights.')
    await last.reload()
    t.true(last.is_admin)
  })
})

test('an actor who lost admin rights since their request began is refused', async (t) => {
  await withDatabase(async (db) => {
    const stale = await admin(db)
    const target = await admin(db)
    await admin(db)
    await db.User.update({ is_admin: false }, { where: { id: stale.id } })

    const error = await t.throwsAsync(deleteUserAs(db, { id: stale.id }, target.id))

    t.true(error instanceof ForbiddenError)
    t.is(await db.User.count({ where: { id: target.id } }), 1)
  })
})

test('of two admins removing each other at once, exactly one succeeds', async (t) => {
  await withDatabase(async (db) => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = [await admin(db), await admin(db)]
      const others = await db.User.findAll({ where: { is_admin: true } })
      await db.User.update(
        { is_admin: false },
        { where: { id: others.map((u) => u.id).filter((id) => id !== a.id && id !== b.id) } },
      )

      const outcomes = await Promise.allSettled([
        deleteUserAs(db, { id: a.id }, b.id),
        deleteUserAs(db, { id: b.id }, a.id),
      ])

      t.is(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1)
      const failure = outcomes.find((outcome) => outcome.status === 'rejected')
      t.true(failure?.reason instanceof ConflictError)
      t.is(failure?.reason.message, 'The last admin cannot be deleted.')
      t.is(await db.User.count({ where: { is_admin: true } }), 1)
    }
  })
})
