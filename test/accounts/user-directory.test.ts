import test from 'ava'
import { UserDirectory } from '../../src/accounts/user-directory.js'
import { makeUser } from '../fixtures/metering.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

let fresh: FreshDatabase

test.before(async () => {
  fresh = await freshDatabase()
})

test.after.always(async () => {
  await fresh?.close()
})

interface QueryLog {
  /** The user lookups sent to the real database, in order. */
  statements: string[]
  /** While true, answers are held back, as a slow database would, until `release`. */
  hold: boolean
  release?: () => void
}

function recordQueries(): QueryLog {
  const log: QueryLog = { statements: [], hold: false }
  const sequelize = fresh.db.sequelize
  const original = sequelize.query.bind(sequelize) as (...args: unknown[]) => Promise<unknown>
  Object.assign(sequelize, {
    async query(...args: unknown[]) {
      if (String(args[0]).includes('FROM users')) log.statements.push(String(args[0]))
      const result = await original(...args)
      if (log.hold) await new Promise<void>((resolve) => (log.release = resolve))
      return result
    },
  })
  return log
}

function restoreQueries(): void {
  delete (fresh.db.sequelize as { query?: unknown }).query
}

test.serial('hundreds of jobs asking about the same users at once send one query', async (t) => {
  const [alice, bob] = [await makeUser(fresh.db), await makeUser(fresh.db)]
  const queries = recordQueries()
  t.teardown(restoreQueries)
  const users = new UserDirectory(fresh.db)

  const answers = await Promise.all(
    Array.from({ length: 300 }, (_, n) => users.existing(n % 3 === 0 ? [alice] : [alice, bob])),
  )

  t.is(queries.statements.length, 2)
  const sorted = (ids: Set<number>) => [...ids].sort((a, b) => a - b)
  t.deepEqual(sorted(answers[0] as Set<number>), [alice])
  t.deepEqual(sorted(answers[1] as Set<number>), [alice, bob])
  t.deepEqual(sorted(await users.existing([bob, alice])), [alice, bob])
  t.is(queries.statements.length, 2, 'known users are not asked about again')
})

test.serial('a user restored while another lookup is in flight is found', async (t) => {
  const carol = await makeUser(fresh.db)
  await fresh.db.User.destroy({ where: { id: carol } })
  const queries = recordQueries()
  t.teardown(restoreQueries)
  const users = new UserDirectory(fresh.db)

  queries.hold = true
  const before = users.existing([carol])
  while (!queries.release) await new Promise((resolve) => setTimeout(resolve, 5))
  queries.hold = false
  await fresh.db.User.restore({ where: { id: carol } })
  const after = users.existing([carol])
  queries.release()

  t.deepEqual(await before, new Set())
  t.deepEqual(await after, new Set([carol]))
  t.is(queries.statements.length, 2, 'the "no" of the first query is asked again')
})
