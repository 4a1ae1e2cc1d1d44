import test from 'ava'
import pg from 'pg'
import { pino } from 'pino'
import { startPgliteServer } from '../../src/postgres/pglite-server.js'

const log = pino({ level: 'silent' })

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  return client
}

test('transactions and parameterised statements of many clients at once all succeed', async (t) => {
  const server = await startPgliteServer({ log })
  const pool = new pg.Pool({ connectionString: server.url, max: 6 })
  pool.on('error', () => undefined)
  t.teardown(async () => {
    await pool.end()
    await server.close()
  })
  await pool.query('CREATE TABLE counted (n int)')

  // Every statement with parameters is Parse/Bind/Execute/Sync on the unnamed
  // statement and portal; served message by message, one client's Parse or
  // Bind would replace another's ("portal \"\" does not exist").
  const work = Array.from({ length: 60 }, async (_, n) => {
    if (n % 2 === 1) return (await pool.query('SELECT $1::int AS v', [n])).rows[0].v
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('INSERT INTO counted VALUES ($1)', [n])
      await client.query('COMMIT')
      return n
    } finally {
      client.release()
    }
  })

  t.deepEqual(
    await Promise.all(work),
    Array.from({ length: 60 }, (_, n) => n),
  )
  const { rows } = await pool.query('SELECT count(*)::int AS c, sum(n)::int AS s FROM counted')
  t.deepEqual(rows, [{ c: 30, s: 870 }])
})

test('a client that disconnects inside a transaction leaves nothing behind', async (t) => {
  const server = await startPgliteServer({ log })
  const quitter = await connect(server.url)
  quitter.on('error', () => undefined)
  const other = await connect(server.url)
  t.teardown(async () => {
    await other.end()
    await server.close()
  })

  await other.query('CREATE TABLE kept (n int)')
  await quitter.query('BEGIN')
  await quitter.query('INSERT INTO kept VALUES (1)')
  const waiting = other.query('SELECT count(*)::int AS n FROM kept')
  quitter.connection.stream.destroy()

  t.deepEqual((await waiting).rows, [{ n: 0 }])
  await other.query('INSERT INTO kept VALUES (2)')
  t.deepEqual((await other.query('SELECT n FROM kept')).rows, [{ n: 2 }])
})
