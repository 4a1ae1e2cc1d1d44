import type { Context, Next } from 'koa'
import { findUserByToken } from '../../src/accounts/tokens.js'
import { ForbiddenError, UnauthorizedError } from '../../src/errors.js'
import type { Database } from '../../src/postgres/database.js'

const bearerPattern = /^Bearer\s+(\S+)\s*$/i

/**
 * Admits a request carrying `Authorization: Bearer <token>` of a live token
 * and user: `ctx.state.user` is the User, `ctx.state.tokenId` the token's id,
 * `ctx.state.abilities` what the token may do beyond reading as its user.
 * Every other request stops here with 401, whatever the reason, so a caller
 * cannot tell a revoked token from one that never existed.
 */
export function authenticate(db: Database) {
  return async function authenticateBearer(ctx: Context, next: Next): Promise<void> {
    const match = bearerPattern.exec(ctx.get('Authorization'))
    const owner = match?.[1] ? await findUserByToken(db, match[1]) : null
    if (!owner) throw new UnauthorizedError()

    ctx.state.user = owner.user
    ctx.state.tokenId = owner.token.id
    ctx.state.abilities = owner.token.abilities ?? []
    await next()
  }
}

/** Lets only admins through; mount after `authenticate`. */
export async function requireAdmin(ctx: Context, next: Next): Promise<void> {
  if (!ctx.state.user) throw new UnauthorizedError()
  if (!ctx.state.user.is_admin) throw new ForbiddenError()
  await next()
}
