import test from 'ava'
import { createToken } from '../../src/accounts/tokens.js'
import { type AccountsRig, signIn, startAccountsApi } from '../fixtures/accounts-api.js'
import { userWithToken } from '../fixtures/api.js'

const password = 'correct-horse-battery'

let rig: AccountsRig

test.before(async () => {
  rig = await startAccountsApi()
})

test.after.always(async () => {
  await rig?.close()
})

const me = async (token: string) => (await rig.call('GET', '/api/auth/me', { token })).status

test('an admin cannot delete themselves', async (t) => {
  const { user, token } = await userWithToken(rig.postgres.db, 'self-delete', true)

  const reply = await rig.call('DELETE', `/api/users/${user.id}`, { token })

  t.deepEqual(reply, { status: 409, body: { message: 'You cannot delete yourself.' } })
  t.is(await me(token), 200)
})

test('an admin cannot remove their own admin rights, but may edit the rest', async (t) => {
  const { user, token } = await userWithToken(rig.postgres.db, 'self-demote', true)

  const demote = await rig.call('PUT', `/api/users/${user.id}`, {
    token,
    body: { name: 'Me', email: user.email, is_admin: false },
  })
  const rename = await rig.call('PUT', `/api/users/${user.id}`, {
    token,
    body: { name: 'Me', email: user.email, is_admin: true },
  })

  t.deepEqual(demote, {
    status: 409,
    body: { message: 'You cannot remove your own admin rights.' },
  })
  t.is(rename.status, 200)
  t.like(rename.body.data, { name: 'Me', is_admin: true })
})

test('an admin demotes another admin, who is then refused', async (t) => {
  const other = await userWithToken(rig.postgres.db, 'demoted', true)

  const reply = await rig.call('PUT', `/api/users/${other.user.id}`, {
    token: rig.admin.token,
    body: { name: 'Demoted', email: other.user.email, is_admin: false },
  })

  t.is(reply.status, 200)
  t.false(reply.body.data.is_admin)
  t.is((await rig.call('GET', '/api/users', { token: other.token })).status, 403)
})

test('deleting a user revokes every token of theirs at once, and only theirs', async (t) => {
  const doomed = await userWithToken(rig.postgres.db, 'doomed')
  const second = (await createToken(rig.postgres.db, doomed.user, 'second')).plainText
  const bystander = await userWithToken(rig.postgres.db, 'bystander')

  const reply = await rig.call('DELETE', `/api/users/${doomed.user.id}`, { token: rig.admin.token })

  t.is(reply.status, 204)
  t.is(await me(doomed.token), 401)
  t.is(await me(second), 401)
  t.is(await me(bystander.token), 200)
  const tokens = await rig.postgres.db.ApiToken.findAll({ where: { user_id: doomed.user.id } })
  t.is(tokens.length, 2)
  t.true(tokens.every((token) => token.revoked_at !== null))
})

test("an admin's new password for a user revokes all of that user's tokens", async (t) => {
  const target = await userWithToken(rig.postgres.db, 'reset')
  const second = await signIn(rig, target.user.email, password)

  const reply = await rig.call('PUT', `/api/users/${target.user.id}`, {
    token: rig.admin.token,
    body: { name: 'Reset', email: target.user.email, is_admin: false, password: 'brand-new-pass' },
  })

  t.is(reply.status, 200)
  t.is(await me(target.token), 401)
  t.is(await me(second), 401)
  t.is(await me(rig.admin.token), 200)
  t.truthy(await signIn(rig, target.user.email, 'brand-new-pass'))
  const oldPassword = await rig.call('POST', '/api/auth/tokens', {
    body: { email: target.user.email, password },
  })
  t.is(oldPassword.status, 422)
})

test('changing your own password keeps the token you changed it with', async (t) => {
  const self = await userWithToken(rig.postgres.db, 'self-reset', true)
  const other = (await createToken(rig.postgres.db, self.user, 'other')).plainText

  const reply = await rig.call('PUT', `/api/users/${self.user.id}`, {
    token: self.token,
    body: { name: 'Self', email: self.user.email, is_admin: true, password: 'my-new-secret' },
  })

  t.is(reply.status, 200)
  t.is(await me(self.token), 200)
  t.is(await me(other), 401)
})

test('a PUT without a password leaves every token working', async (t) => {
  const target = await userWithToken(rig.postgres.db, 'keep')

  await rig.call('PUT', `/api/users/${target.user.id}`, {
    token: rig.admin.token,
    body: { name: 'Kept', email: target.user.email, is_admin: false },
  })

  t.is(await me(target.token), 200)
})

/**
 * Two admins, each removing the other at the same moment. Whichever commits
 * first wins; the other finds itself the last admin (409) or, when its
 * request arrived after the first committed, is no longer let in (401/403).
 */
async function raceOfTwoAdmins(
  t: import('ava').ExecutionContext,
  remove: (rig: AccountsRig, actorToken: string, targetId: number) => Promise<number>,
  winnerStatus: number,
  loserStatuses: number[],
): Promise<void> {
  const own = await startAccountsApi()
  try {
    let a = own.admin
    for (let round = 0; round < 6; round++) {
      const b = await userWithToken(own.postgres.db, `rival-${round}`, true)

      const statuses = await Promise.all([
        remove(own, a.token, b.user.id),
        remove(own, b.token, a.user.id),
      ])

      t.is(statuses.filter((status) => status === winnerStatus).length, 1, `round ${round}`)
      t.true(
        statuses.every((status) => status === winnerStatus || loserStatuses.includes(status)),
        `round ${round}: ${statuses}`,
      )
      const admins = await own.postgres.db.User.findAll({ where: { is_admin: true } })
      t.is(admins.length, 1, `round ${round}`)
      a = statuses[0] === winnerStatus ? a : b
    }
  } finally {
    await own.close()
  }
}

test('two admins deleting each other at once leave exactly one admin', async (t) => {
  await raceOfTwoAdmins(
    t,
    async (own, token, id) => (await own.call('DELETE', `/api/users/${id}`, { token })).status,
    204,
    [409, 401],
  )
})

test('two admins demoting each other at once leave exactly one admin', async (t) => {
  await raceOfTwoAdmins(
    t,
    async (own, token, id) => {
      const user = await own.postgres.db.User.findByPk(id)
      const body = { name: 'Rival', email: user?.email, is_admin: false }
      return (await own.call('PUT', `/api/users/${id}`, { token, body })).status
    },
    200,
    [409, 403],
  )
})
