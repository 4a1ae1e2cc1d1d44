import { QueryTypes, type Transaction } from 'sequelize'
import { ConflictError, ForbiddenError } from '../errors.js'
import type { Database } from '../postgres/database.js'
import type { User } from './models.js'

/** The signed-in user making a change, and the token they make it with. */
export interface Actor {
  id: number
  tokenId?: number
}

/**
 * Locks the rows of every live admin, in id order, until the transaction
 * ends, and returns their ids. Every change to users takes this lock first,
 * so two admins removing each other at once run one after the other and the
 * second sees the first's result: the last admin can never be removed by a
 * race. Locking in one order means two such transactions cannot deadlock.
 */
export async function lockAdmins(db: Database, transaction: Transaction): Promise<number[]> {
  const rows = await db.sequelize.query<{ id: number }>(
    `SELECT id FROM users
     WHERE is_admin AND deleted_at IS NULL
     ORDER BY id
     FOR NO KEY UPDATE`,
    { type: QueryTypes.SELECT, transaction },
  )
  return rows.map((row) => row.id)
}

/**
 * Refuses a change that would take admin rights from `target` (deleting or
 * demoting them) when it is the actor themselves or the last admin standing.
 * `adminIds` must come from `lockAdmins` in the same transaction.
 */
export function assertAdminMayGo(
  adminIds: readonly number[],
  actor: Actor,
  target: User,
  action: 'delete' | 'demote',
): void {
  if (target.id === actor.id) {
    throw new ConflictError(
      action === 'delete'
        ? 'You cannot delete yourself.'
        : 'You cannot remove your own admin rights.',
    )
  }
  if (target.is_admin && !adminIds.some((id) => id !== target.id)) {
    throw new ConflictError(
      action === 'delete'
        ? 'The last admin cannot be deleted.'
        : 'The last admin cannot lose admin rights.',
    )
  }
}

/**
 * Refuses an actor who stopped being an admin after their request was let in
 * (demoted or deleted by another admin a moment earlier).
 */
export function assertStillAdmin(adminIds: readonly number[], actor: Actor): void {
  if (!adminIds.includes(actor.id)) throw new ForbiddenError()
}
