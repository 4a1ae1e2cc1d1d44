import type { Logger } from '../logger.js'
import type { Database } from '../postgres/database.js'
import type { User } from './models.js'
import { verifyPassword } from './passwords.js'
import { createUser, findUserByEmail, isEmailTaken } from './users.js'

export interface AdminSeed {
  email: string
  password: string
  name: string
}

/**
 * Makes sure the bootstrap admin from ADMIN_EMAIL/ADMIN_PASSWORD exists. Safe
 * to run at every start and from several processes at once. An existing user
 * is never changed: a different password or a missing admin flag is logged,
 * so an operator who changed the password in the app does not have it reset
 * by a stale environment variable.
 */
export async function ensureAdmin(
  db: Database,
  seed: AdminSeed,
  log: Logger,
): Promise<{ user: User; created: boolean }> {
  const existing = await findUserByEmail(db, seed.email)
  if (existing) {
    await reportDrift(existing, seed, log)
    return { user: existing, created: false }
  }

  try {
    const user = await createUser(db, { ...seed, is_admin: true })
    log.info({ user_id: user.id }, 'bootstrap admin created')
    return { user, created: true }
  } catch (err) {
    if (!isEmailTaken(err)) throw err
    const winner = await findUserByEmail(db, seed.email)
    if (!winner) throw err
    return { user: winner, created: false }
  }
}

async function reportDrift(user: User, seed: AdminSeed, log: Logger): Promise<void> {
  if (!user.is_admin) {
    log.warn({ user_id: user.id }, 'ADMIN_EMAIL names a user who is not an admin; left unchanged')
  }
  if (!(await verifyPassword(user.password_hash, seed.password))) {
    log.warn(
      { user_id: user.id },
      'ADMIN_PASSWORD differs from the stored password; the stored one is kept',
    )
  }
}
