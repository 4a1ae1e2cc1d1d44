import test from 'ava'
import pg from 'pg'
import { pino } from 'pino'
import { AccountCache } from '../../src/accounts/account-cache.js'
import type { User } from '../../src/accounts/models.js'
import { findUserByToken, revokeToken } from '../../src/accounts/tokens.js'
import { ChangeListener, listenerApplicationName } from '../../src/postgres/change-listener.js'
import { type Database, openDatabase } from '../../src/postgres/database.js'
import { userWithToken } from '../fixtures/api.js'
import { FaultProxy } from '../fixtures/fault-proxy.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

const log = pino({ level: 'silent' })
/** Only a real PostgreSQL server can LISTEN; the embedded one keeps the cache off. */
const listens = process.env.DATABASE_URL !== undefined

function someUser(name: string): User {
  return { id: 1, name } as User
}

/** For tests of what is kept: a busy test machine must not look like a stalled process. */
const patient = { stallMs: 60_000 }

test('a lookup that a change overtook is not kept', async (t) => {
  const cache = new AccountCache(patient)
  cache.serveUntil(Date.now() + 60_000, Date.now())
  let release: (user: User) => void = () => undefined
  const slow = cache.user(1, () => new Promise<User>((resolve) => (release = resolve)))

  cache.changed()
  release(someUser('before the change'))

  t.is((await slow)?.name, 'before the change')
  let loads = 0
  const fresh = await cache.user(1, async () => {
    loads++
    return someUser('after the change')
  })
  t.is(fresh?.name, 'after the change')
  t.is(loads, 1)
  t.is((await cache.user(1, async () => someUser('never asked')))?.name, 'after the change')
})

test('a cache that is off, or a miss, keeps nothing', async (t) => {
  const cache = new AccountCache(patient)
  let loads = 0
  const load = async () => {
    loads++
    return someUser('loaded')
  }
  await cache.user(1, load)
  await cache.user(1, load)
  t.is(loads, 2)

  cache.serveUntil(Date.now() + 60_000, Date.now())
  t.is(await cache.user(2, async () => null), null)
  t.is((await cache.user(2, load))?.name, 'loaded')
  t.is(loads, 3)
})

// Serial: standing still would stall the tests running beside it.
test.serial('a process that stood still serves nothing until a notice sent after it', async (t) => {
  const cache = new AccountCache()
  const leased = Date.now()
  cache.serveUntil(leased + 60_000, leased)
  t.teardown(() => cache.disable())
  await cache.user(1, async () => someUser('kept'))
  let loads = 0
  const ask = async () => {
    const user = await cache.user(1, async () => {
      loads++
      return someUser('asked the database')
    })
    return user?.name
  }

  const standStill = Date.now() + 400
  while (Date.now() < standStill) {
    // Requests and notices that arrive now wait side by side.
  }
  // Read before the late tick has run.
  t.is(await ask(), 'asked the database')
  // Read after it: timers may run first when a stopped process wakes.
  await new Promise((resolve) => setTimeout(resolve, 250))
  t.is(await ask(), 'asked the database')
  // A notice sent before the stall vouches for nothing that came during it.
  cache.serveUntil(Date.now() + 60_000, leased)
  t.is(await ask(), 'asked the database')
  t.is(loads, 3)

  // One sent after it does: the cache starts again, empty.
  cache.serveUntil(Date.now() + 60_000, Date.now())
  t.is(await ask(), 'asked the database')
  t.is(await ask(), 'asked the database')
  t.is(loads, 4)
})

/** A second process's connection, as the command line or another web process has. */
async function otherProcess(rig: FreshDatabase): Promise<Database> {
  return openDatabase(rig.url, log, { cacheAccounts: false })
}

async function heardChange(t: { timeout(ms: number): void }, db: Database, seen: number) {
  if (!listens) return
  t.timeout(10_000)
  while ((db.changes?.notices ?? 0) <= seen) await new Promise((r) => setTimeout(r, 5))
}

test('a token revoked by another process stops working once its notice arrives', async (t) => {
  const rig = await freshDatabase()
  const other = await otherProcess(rig)
  t.teardown(async () => {
    await other.close()
    await rig.close()
  })
  t.is(rig.db.accounts.enabled, listens)
  const { user, token } = await userWithToken(rig.db, 'revoked-elsewhere', true)
  t.is((await findUserByToken(rig.db, token))?.user.id, user.id)

  const seen = rig.db.changes?.notices ?? 0
  const tokenId = Number(token.split('|')[0])
  t.true(await revokeToken(other, tokenId))
  await heardChange(t, rig.db, seen)

  t.is(await findUserByToken(rig.db, token), null)
})

test('a user demoted by another process is seen as demoted', async (t) => {
  const rig = await freshDatabase()
  const other = await otherProcess(rig)
  t.teardown(async () => {
    await other.close()
    await rig.close()
  })
  const { user, token } = await userWithToken(rig.db, 'demoted-elsewhere', true)
  t.true((await findUserByToken(rig.db, token))?.user.is_admin)

  const seen = rig.db.changes?.notices ?? 0
  await other.sequelize.query('UPDATE users SET is_admin = false WHERE id = $1', {
    bind: [user.id],
  })
  await heardChange(t, rig.db, seen)

  t.false((await findUserByToken(rig.db, token))?.user.is_admin)
})

test('a change through this process is seen at once, before any notice', async (t) => {
  const rig = await freshDatabase()
  t.teardown(() => rig.close())
  const { token } = await userWithToken(rig.db, 'revoked-here')
  const owner = await findUserByToken(rig.db, token)
  t.truthy(owner)

  t.true(await revokeToken(rig.db, owner?.token.id as number))

  t.is(await findUserByToken(rig.db, token), null)
})

test('marking a token used sends no notice; revoking it does', async (t) => {
  const rig = await freshDatabase()
  const listener = new pg.Client({ connectionString: rig.url })
  t.teardown(async () => {
    await listener.end().catch(() => undefined)
    await rig.close()
  })
  const { token } = await userWithToken(rig.db, 'touched')
  const tokenId = Number(token.split('|')[0])
  if (!listens) {
    await t.throwsAsync(
      listener.connect().then(() => listener.query('LISTEN account_changes')),
      {
        message: /LISTEN is not supported by the embedded PostgreSQL server/,
      },
    )
    return
  }
  await listener.connect()
  const notices: string[] = []
  listener.on('notification', (notice) => notices.push(notice.payload ?? ''))
  await listener.query('LISTEN account_changes')

  await rig.db.sequelize.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', {
    bind: [tokenId],
  })
  await rig.db.sequelize.query("SELECT pg_notify('account_changes', 'marker')")
  await revokeToken(rig.db, tokenId)
  while (notices.length < 2) await new Promise((r) => setTimeout(r, 5))

  t.deepEqual(notices, ['marker', 'api_tokens'])
})

test('while the listening connection is down the cache is off, and it comes back', async (t) => {
  if (!listens) return t.pass('the embedded server cannot LISTEN; the cache never turns on')
  t.timeout(20_000)
  const rig = await freshDatabase()
  const other = await otherProcess(rig)
  t.teardown(async () => {
    await other.close()
    await rig.close()
  })
  const { token } = await userWithToken(rig.db, 'listener-cut', true)
  await findUserByToken(rig.db, token)

  await other.sequelize.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity' +
      ' WHERE application_name = $1 AND datname = current_database()',
    { bind: [listenerApplicationName] },
  )
  while (rig.db.accounts.enabled) await new Promise((r) => setTimeout(r, 5))
  await other.sequelize.query('UPDATE api_tokens SET revoked_at = now()')
  t.is(await findUserByToken(rig.db, token), null)

  while (!rig.db.accounts.enabled) await new Promise((r) => setTimeout(r, 20))
  const { user, token: second } = await userWithToken(rig.db, 'after-reconnect', true)
  t.is((await findUserByToken(rig.db, second))?.user.id, user.id)
})

/** A listener of its own on `url`, with a short heartbeat so that tests run fast. */
async function quickListener(t: { teardown(fn: () => Promise<void>): void }, url: string) {
  const cache = new AccountCache()
  const listener = new ChangeListener(url, cache, log, { heartbeatMs: 50, leaseMs: 300 })
  t.teardown(() => listener.stop())
  await listener.start()
  return cache
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10))
}

test('a listening connection that goes silent turns the cache off, then is replaced', async (t) => {
  if (!listens) return t.pass('the embedded server cannot LISTEN; the cache never turns on')
  t.timeout(20_000)
  const rig = await freshDatabase()
  const proxy = await FaultProxy.start(Number(new URL(rig.url).port || 5432))
  t.teardown(async () => {
    await proxy.close()
    await rig.close()
  })
  const url = new URL(rig.url)
  url.port = String(proxy.port)
  const cache = await quickListener(t, url.toString())
  await until(() => cache.enabled)

  // Answers and notices are held, as a firewall that forgot the flow would:
  // the socket stays open and nothing says the connection is gone.
  await proxy.set('slow', 60_000)
  await until(() => !cache.enabled)
  t.false(cache.enabled)

  await proxy.set('pass')
  await until(() => cache.enabled)
  t.true(cache.enabled)
})

test('a disabled or replica-only trigger turns the cache off until it is enabled', async (t) => {
  if (!listens) return t.pass('the embedded server cannot LISTEN; the cache never turns on')
  t.timeout(20_000)
  const rig = await freshDatabase()
  t.teardown(() => rig.close())
  const cache = await quickListener(t, rig.url)
  await until(() => cache.enabled)

  await rig.db.sequelize.query('ALTER TABLE api_tokens DISABLE TRIGGER api_tokens_changed')
  await until(() => !cache.enabled)
  t.false(cache.enabled)

  await rig.db.sequelize.query('ALTER TABLE api_tokens ENABLE TRIGGER api_tokens_changed')
  await until(() => cache.enabled)
  t.true(cache.enabled)

  // A replica trigger is enabled, yet fires only for replication sessions.
  await rig.db.sequelize.query('ALTER TABLE users ENABLE REPLICA TRIGGER users_changed')
  await until(() => !cache.enabled)
  t.false(cache.enabled)
})
