import type { ClientConnection } from './client.js'

type Operation = 'query' | 'exec' | 'command' | 'insert' | 'ping'
const operations: Operation[] = ['query', 'exec', 'command', 'insert', 'ping']

/**
 * chDB hands the rows a failed query had produced before its error to the
 * next query on the same engine, which then "succeeds" with them. Running the
 * connection's operations one at a time, and running a throwaway query right
 * after any failure, keeps those rows away from every real query.
 */
export function guardChdbConnection(connection: ClientConnection): ClientConnection {
  let tail: Promise<unknown> = Promise.resolve()
  const serial = new Map<PropertyKey, (params: unknown) => Promise<unknown>>()

  for (const name of operations) {
    const original = (connection[name] as (params: unknown) => Promise<unknown>).bind(connection)
    const run = async (params: unknown) => {
      try {
        return await original(params)
      } catch (err) {
        await discardLeftovers(connection)
        throw err
      }
    }
    serial.set(name, (params) => {
      const turn = tail.then(() => run(params))
      tail = turn.catch(() => undefined)
      return turn
    })
  }

  // The engine's connection keeps its state in private fields, so every other
  // member is reached on the connection itself.
  return new Proxy(connection, {
    get(target, property) {
      const guarded = serial.get(property)
      if (guarded) return guarded
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** chDB's ping runs `SELECT 1`, which takes up whatever a failed query left. */
export async function discardLeftovers(connection: ClientConnection): Promise<void> {
  await connection.ping({ select: true }).catch(() => undefined)
}
