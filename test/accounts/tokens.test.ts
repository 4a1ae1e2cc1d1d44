import { createHash } from 'node:crypto'
import test from 'ava'
import type { User } from '../../src/accounts/models.js'
import { createToken, findUserByToken, revokeToken } from '../../src/accounts/tokens.js'
import { createUser } from '../../src/accounts/users.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

let fresh: FreshDatabase
let sequence = 0

test.before(async () => {
  fresh = await freshDatabase()
})

test.after.always(async () => {
  await fresh?.close()
})

function someUser(): Promise<User> {
  sequence += 1
  return createUser(fresh.db, {
    name: `Holder ${sequence}`,
    email: `holder${sequence}@example.com`,
    password: 'irrelevant',
  })
}

test('a token finds its user and only its hash is stored', async (t) => {
  const user = await someUser()
  const issued = await createToken(fresh.db, user, 'cli')

  const [id, secret] = issued.plainText.split('|')
  t.is(Number(id), issued.token.id)
  t.regex(secret ?? '', /^[A-Za-z0-9_-]{43}$/)
  const stored = await fresh.db.ApiToken.findByPk(issued.token.id)
  t.is(
    stored?.token_hash,
    createHash('sha256')
      .update(secret ?? '')
      .digest('hex'),
  )
  t.is(stored?.name, 'cli')

  const owner = await findUserByToken(fresh.db, issued.plainText)
  t.is(owner?.user.id, user.id)
  t.is(owner?.token.id, issued.token.id)
})

test('a bare secret works; a wrong id, a wrong secret or garbage do not', async (t) => {
  const user = await someUser()
  const issued = await createToken(fresh.db, user, 'cli')
  const secret = issued.plainText.split('|')[1] ?? ''

  t.is((await findUserByToken(fresh.db, secret))?.user.id, user.id)
  t.is(await findUserByToken(fresh.db, `${issued.token.id + 1000}|${secret}`), null)
  t.is(await findUserByToken(fresh.db, `${issued.token.id}|${secret}x`), null)
  for (const bearer of ['', '|', `${issued.token.id}|`, `x|${secret}`, `0|${secret}`]) {
    t.is(await findUserByToken(fresh.db, bearer), null, bearer)
  }
})

test('a revoked token is rejected', async (t) => {
  const user = await someUser()
  const issued = await createToken(fresh.db, user, 'cli')

  t.true(await revokeToken(fresh.db, issued.token.id))
  t.false(await revokeToken(fresh.db, issued.token.id))

  t.is(await findUserByToken(fresh.db, issued.plainText), null)
})

test("a deleted user's token is rejected", async (t) => {
  const user = await someUser()
  const issued = await createToken(fresh.db, user, 'cli')

  await user.destroy()

  t.is(await findUserByToken(fresh.db, issued.plainText), null)
})

test('use is recorded at most once a minute', async (t) => {
  const user = await someUser()
  const issued = await createToken(fresh.db, user, 'cli')
  const lastUsed = async () => (await fresh.db.ApiToken.findByPk(issued.token.id))?.last_used_at

  t.is(await lastUsed(), null)
  await findUserByToken(fresh.db, issued.plainText)
  const first = await lastUsed()
  t.true(first instanceof Date)
  await findUserByToken(fresh.db, issued.plainText)
  t.deepEqual(await lastUsed(), first)

  const longAgo = new Date(Date.now() - 61_000)
  await fresh.db.ApiToken.update({ last_used_at: longAgo }, { where: { id: issued.token.id } })
  // That write names only last_used_at, which empties no cache; the token's
  // cached entry stands until it expires, as if that time had passed.
  fresh.db.accounts.clear()
  await findUserByToken(fresh.db, issued.plainText)
  t.true(((await lastUsed())?.getTime() ?? 0) > longAgo.getTime() + 60_000)
})
