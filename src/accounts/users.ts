import { col, fn, Op, UniqueConstraintError, where } from 'sequelize'
import type { Database } from '../postgres/database.js'
import type { User } from './models.js'
import { hashPassword } from './passwords.js'
import { newUlid } from './ulid.js'

export interface NewUser {
  name: string
  email: string
  password: string
  is_admin?: boolean
}

/** The public shape of a user in every API response. */
export interface UserJson {
  id: number
  ulid: string
  name: string
  email: string
  is_admin: boolean
  created_at: string
  updated_at: string
}

/**
 * Creates a user with an argon2id password hash. A taken e-mail (in any
 * case) fails in the database with a UniqueConstraintError; see `isEmailTaken`.
 */
export async function createUser(db: Database, input: NewUser): Promise<User> {
  const password_hash = await hashPassword(input.password)
  return db.User.create({
    ulid: newUlid(),
    name: input.name,
    email: input.email.trim(),
    password_hash,
    is_admin: input.is_admin ?? false,
  })
}

/** The live user with this e-mail, compared without regard to case. */
export async function findUserByEmail(db: Database, email: string): Promise<User | null> {
  return db.User.findOne({
    where: where(fn('lower', col('email')), Op.eq, email.trim().toLowerCase()),
  })
}

/** True when the error is the database refusing a second user with the same e-mail. */
export function isEmailTaken(err: unknown): boolean {
  if (!(err instanceof UniqueConstraintError)) return false
  const constraint = (err.parent as { constraint?: string } | undefined)?.constraint
  return constraint === 'users_email_lower_unique'
}

export function toUserJson(user: User): UserJson {
  return {
    id: user.id,
    ulid: user.ulid,
    name: user.name,
    email: user.email,
    is_admin: user.is_admin,
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
  }
}
