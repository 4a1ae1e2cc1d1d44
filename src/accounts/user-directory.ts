import { QueryTypes } from 'sequelize'
import type { Database } from '../postgres/database.js'

/**
 * Answers which user ids exist, for events that name a user. Known users are
 * cached for a minute (they are rarely deleted, and a deleted user's history
 * stays); unknown ids are never cached, so a user created a moment ago is
 * found on the next event.
 *
 * A worker that starts under load asks about the same few users from hundreds
 * of jobs at once: an id already being looked up waits for that query instead
 * of sending its own. Only a "yes" is taken from a query another job started;
 * a "no" is asked again, so that it always comes from a query sent after the
 * event arrived.
 */
export class UserDirectory {
  private readonly known = new Map<number, number>()
  /** Queries in flight, by each id they ask about; they resolve to the ids found. */
  private readonly lookups = new Map<number, Promise<Set<number>>>()

  constructor(
    private readonly db: Database,
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 100_000,
  ) {}

  async existing(ids: Iterable<number>): Promise<Set<number>> {
    const now = Date.now()
    const found = new Set<number>()
    const unknown: number[] = []
    const joined: { id: number; lookup: Promise<Set<number>> }[] = []
    for (const id of new Set(ids)) {
      const expires = this.known.get(id)
      const lookup = this.lookups.get(id)
      if (expires !== undefined && expires > now) found.add(id)
      else if (lookup) joined.push({ id, lookup })
      else unknown.push(id)
    }
    if (unknown.length === 0 && joined.length === 0) return found

    const own = unknown.length > 0 ? this.lookUp(unknown) : undefined
    const [mine, ...theirs] = await Promise.all([own, ...joined.map(({ lookup }) => lookup)])
    for (const id of mine ?? []) found.add(id)
    const askAgain: number[] = []
    joined.forEach(({ id }, i) => {
      if (theirs[i]?.has(id)) found.add(id)
      else askAgain.push(id)
    })

    if (askAgain.length > 0) for (const id of await this.lookUp(askAgain)) found.add(id)
    return found
  }

  /** Sends one query for `ids` that later callers asking about them can wait for. */
  private lookUp(ids: number[]): Promise<Set<number>> {
    const lookup = this.query(ids)
    for (const id of ids) this.lookups.set(id, lookup)
    const forget = () => {
      for (const id of ids) if (this.lookups.get(id) === lookup) this.lookups.delete(id)
    }
    lookup.then(forget, forget)
    return lookup
  }

  private async query(ids: number[]): Promise<Set<number>> {
    const rows = await this.db.sequelize.query<{ id: number | string }>(
      'SELECT id FROM users WHERE id IN (:ids) AND deleted_at IS NULL',
      { replacements: { ids }, type: QueryTypes.SELECT },
    )

    const now = Date.now()
    if (this.known.size + rows.length > this.maxEntries) this.known.clear()
    const found = new Set<number>()
    for (const row of rows) {
      const id = Number(row.id)
      found.add(id)
      this.known.set(id, now + this.ttlMs)
    }
    return found
  }
}
