import type { Context, Next } from 'koa'
import { findUserByToken } from '../../src/accounts/tokens.js'
import { ForbiddenError, UnauthorizedError } from '../../src/errors.js'
import type { Database } from '../../src/postgres/database.js'

const bearerPattern = /^Bearer\s+(\S+)\s*$/i

export interface TokenRule {
  /** The routes need this ability; an ordinary token is refused (403). */
  ability?: string
  /** Any live token will do, one with abilities too (signing in and out). */
  anyToken?: boolean
}

/**
 * Admits a request carrying `Authorization: Bearer <token>` of a live token
 * and user: `ctx.state.user` is the User, `ctx.state.tokenId` the token's id,
 * `ctx.state.abilities` what the token was granted (none for most).
 * Every other request stops here with 401, whatever the reason, so a caller
 * cannot tell a revoked token from one that never existed.
 *
 * A token granted an ability (one that sits on a streaming proxy, say) is
 * good for that ability's routes only, never for reading or managing as its
 * admin owner: leaking it gives away no more than it was made for.
 */
export function authenticate(db: Database, rule: TokenRule = {}) {
  return async function authenticateBearer(ctx: Context, next: Next): Promise<void> {
    const match = bearerPattern.exec(ctx.get('Authorization'))
    const owner = match?.[1] ? await findUserByToken(db, match[1]) : null
    if (!owner) throw new UnauthorizedError()

    const abilities = owner.token.abilities ?? []
    if (rule.ability !== undefined && !abilities.includes(rule.ability)) {
      throw new ForbiddenError(`This token may not do this; it needs the ${rule.ability} ability.`)
    }
    if (rule.ability === undefined && !rule.anyToken && abilities.length > 0) {
      throw new ForbiddenError(`This token is only for: ${abilities.join(', ')}.`)
    }

    ctx.state.user = owner.user
    ctx.state.tokenId = owner.token.id
    ctx.state.abilities = abilities
    await next()
  }
}

/** Lets only admins through; mount after `authenticate`. */
export async function requireAdmin(ctx: Context, next: Next): Promise<void> {
  if (!ctx.state.user) throw new UnauthorizedError()
  if (!ctx.state.user.is_admin) throw new ForbiddenError()
  await next()
}
