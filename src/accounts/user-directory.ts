import { QueryTypes } from 'sequelize'
import type { Database } from '../postgres/database.js'

/**
 * Answers which user ids exist, for events that name a user. Known users are
 * cached for a minute (they are rarely deleted, and a deleted user's history
 * stays); unknown ids are never cached, so a user created a moment ago is
 * found on the next event.
 */
export class UserDirectory {
  private readonly known = new Map<number, number>()

  constructor(
    private readonly db: Database,
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 100_000,
  ) {}

  async existing(ids: Iterable<number>): Promise<Set<number>> {
    const now = Date.now()
    const found = new Set<number>()
    const unknown: number[] = []
    for (const id of new Set(ids)) {
      const expires = this.known.get(id)
      if (expires !== undefined && expires > now) found.add(id)
      else unknown.push(id)
    }
    if (unknown.length === 0) return found

    const rows = await this.db.sequelize.query<{ id: number | string }>(
      'SELECT id FROM users WHERE id IN (:ids) AND deleted_at IS NULL',
      { replacements: { ids: unknown }, type: QueryTypes.SELECT },
    )
    if (this.known.size + rows.length > this.maxEntries) this.known.clear()
    for (const row of rows) {
      const id = Number(row.id)
      found.add(id)
      this.known.set(id, now + this.ttlMs)
    }
    return found
  }
}
