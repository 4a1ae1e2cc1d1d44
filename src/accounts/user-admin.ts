import type { Transaction } from 'sequelize'
import { addActivityEntry } from '../activity/activity-log.js'
import { ConflictError, NotFoundError } from '../errors.js'
import type { Database } from '../postgres/database.js'
import { type Actor, assertAdminMayGo, assertStillAdmin, lockAdmins } from './admin-guard.js'
import type { User } from './models.js'
import { hashPassword } from './passwords.js'
import { revokeUserTokens } from './tokens.js'
import { newUlid } from './ulid.js'
import { isEmailTaken } from './users.js'

/** What an admin sets on a user; without `password` the password stays. */
export interface UserChanges {
  name: string
  email: string
  is_admin: boolean
  password?: string
}

/** Fields reported as changed, in this order; a new password shows as `password`. */
const reportedFields = ['name', 'email', 'is_admin', 'password'] as const

const emailTaken = () =>
  new ConflictError('The email has already been taken.', { email: ['has already been taken'] })

/** One page of live users, oldest first. */
export async function listUsers(
  db: Database,
  window: { offset: number; limit: number },
): Promise<{ users: User[]; total: number }> {
  const { rows, count } = await db.User.findAndCountAll({
    order: [['id', 'ASC']],
    offset: window.offset,
    limit: window.limit,
  })
  return { users: rows, total: count }
}

/** The live user with this id, or 404. */
export async function getUser(db: Database, userId: number): Promise<User> {
  const user = await db.accounts.user(userId, () => db.User.findByPk(userId))
  if (!user) throw new NotFoundError('User not found.')
  return user
}

/**
 * Runs a change to users in a transaction that holds the admin lock, and turns
 * the database refusing a second live user with an e-mail into a 409.
 */
async function inAdminTransaction<T>(
  db: Database,
  work: (transaction: Transaction, adminIds: number[]) => Promise<T>,
): Promise<T> {
  try {
    return await db.sequelize.transaction(async (transaction) => {
      const adminIds = await lockAdmins(db, transaction)
      return work(transaction, adminIds)
    })
  } catch (err) {
    if (isEmailTaken(err)) throw emailTaken()
    throw err
  }
}

async function lockUser(db: Database, userId: number, transaction: Transaction): Promise<User> {
  const user = await db.User.findByPk(userId, {
    transaction,
    lock: transaction.LOCK.NO_KEY_UPDATE,
  })
  if (!user) throw new NotFoundError('User not found.')
  return user
}

/** Creates a user on an admin's behalf and logs `user.created` as theirs. */
export async function createUserAs(
  db: Database,
  actor: Actor,
  input: Required<UserChanges>,
): Promise<User> {
  // Hash before taking the lock: argon2 is slow on purpose.
  const password_hash = await hashPassword(input.password)

  return inAdminTransaction(db, async (transaction, adminIds) => {
    assertStillAdmin(adminIds, actor)

    const user = await db.User.create(
      {
        ulid: newUlid(),
        name: input.name,
        email: input.email.trim(),
        password_hash,
        is_admin: input.is_admin,
      },
      { transaction },
    )
    await addActivityEntry(
      db,
      {
        user_id: actor.id,
        event: 'user.created',
        description: `Created user ${user.email}`,
        subject_type: 'user',
        subject_id: user.id,
        properties: { name: user.name, email: user.email, is_admin: user.is_admin },
      },
      { transaction },
    )
    return user
  })
}

/**
 * Replaces a user's name, e-mail and admin flag, and their password when one
 * is given. A new password revokes the user's tokens, all but the one making
 * the request when users change their own. Logs `user.updated` with the names
 * of the changed fields, never their values; a change to nothing logs nothing.
 */
export async function updateUserAs(
  db: Database,
  actor: Actor,
  userId: number,
  changes: UserChanges,
): Promise<User> {
  const password_hash =
    changes.password === undefined ? undefined : await hashPassword(changes.password)

  return inAdminTransaction(db, async (transaction, adminIds) => {
    const user = await lockUser(db, userId, transaction)
    if (user.is_admin && !changes.is_admin) assertAdminMayGo(adminIds, actor, user, 'demote')
    assertStillAdmin(adminIds, actor)

    const changed = reportedFields.filter((field) =>
      field === 'password' ? password_hash !== undefined : user[field] !== changes[field],
    )
    if (changed.length === 0) return user

    user.set({ name: changes.name, email: changes.email, is_admin: changes.is_admin })
    if (password_hash !== undefined) user.set({ password_hash })
    await user.save({ transaction })

    const properties: Record<string, unknown> = { changed }
    if (password_hash !== undefined) {
      const exceptTokenId = user.id === actor.id ? actor.tokenId : undefined
      properties.tokens_revoked = await revokeUserTokens(db, user.id, {
        exceptTokenId,
        transaction,
      })
    }
    await addActivityEntry(
      db,
      {
        user_id: actor.id,
        event: 'user.updated',
        description: `Updated user ${user.email}`,
        subject_type: 'user',
        subject_id: user.id,
        properties,
      },
      { transaction },
    )
    return user
  })
}

/**
 * Soft-deletes a user: the row stays, so usage and activity that name the id
 * keep their owner, and the e-mail is free again. Their tokens stop working
 * in the same transaction. Logs `user.deleted` as the actor's.
 */
export async function deleteUserAs(db: Database, actor: Actor, userId: number): Promise<void> {
  await inAdminTransaction(db, async (transaction, adminIds) => {
    const user = await lockUser(db, userId, transaction)
    assertAdminMayGo(adminIds, actor, user, 'delete')
    assertStillAdmin(adminIds, actor)

    await user.destroy({ transaction })
    const tokensRevoked = await revokeUserTokens(db, user.id, { transaction })
    await addActivityEntry(
      db,
      {
        user_id: actor.id,
        event: 'user.deleted',
        description: `Deleted user ${user.email}`,
        subject_type: 'user',
        subject_id: user.id,
        properties: { email: user.email, tokens_revoked: tokensRevoked },
      },
      { transaction },
    )
  })
}
