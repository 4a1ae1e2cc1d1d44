import { createHash, randomBytes } from 'node:crypto'
import { Op, type Transaction } from 'sequelize'
import type { Database } from '../postgres/database.js'
import type { TokenOwner } from './account-cache.js'
import type { ApiToken, User } from './models.js'

/** The ability that lets a token send events over HTTP. */
export const INGEST_ABILITY = 'ingest'

/** The ability that lets a token read `GET /metrics`, for a Prometheus scraper. */
export const METRICS_ABILITY = 'metrics'

/** What a token may do beyond reading as its user; only admins may be granted any. */
export const TOKEN_ABILITIES = [INGEST_ABILITY, METRICS_ABILITY] as const

/** How stale `last_used_at` may get before a request writes it again. */
const lastUsedResolutionMs = 60_000

export interface IssuedToken {
  /** Shown to the caller once; never stored. */
  plainText: string
  token: ApiToken
}

function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/**
 * Issues a bearer token. Its text is `<token id>|<secret>`, the secret being
 * 43 base64url characters (256 random bits). Only the sha256 of the secret is
 * stored; the id prefix lets an operator tell tokens apart in a support case
 * without the secret.
 */
export async function createToken(
  db: Database,
  user: User,
  name: string,
  options: { abilities?: string[]; transaction?: Transaction } = {},
): Promise<IssuedToken> {
  const secret = randomBytes(32).toString('base64url')
  const token = await db.ApiToken.create(
    { user_id: user.id, name, token_hash: sha256(secret), abilities: options.abilities ?? null },
    { transaction: options.transaction },
  )
  return { plainText: `${token.id}|${secret}`, token }
}

/** Splits `<id>|<secret>`; a bare secret is accepted too. */
function parseBearer(bearer: string): { id: number | undefined; secret: string } | undefined {
  const separator = bearer.indexOf('|')
  if (separator === -1) return bearer === '' ? undefined : { id: undefined, secret: bearer }

  const idText = bearer.slice(0, separator)
  const secret = bearer.slice(separator + 1)
  if (!/^[1-9]\d{0,9}$/.test(idText) || secret === '') return undefined
  return { id: Number(idText), secret }
}

/**
 * The live user behind a bearer token, or null when the token is unknown,
 * revoked or its user deleted. Marks the token used, at most once a minute,
 * so busy clients do not turn every read into a write.
 */
export async function findUserByToken(db: Database, bearer: string): Promise<TokenOwner | null> {
  const parsed = parseBearer(bearer)
  if (!parsed) return null

  // An index lookup on the hash is safe from timing probes: an attacker
  // controls the secret, not its digest. The cache is keyed the same way.
  const tokenHash = sha256(parsed.secret)
  const owner = await db.accounts.tokenOwner(tokenHash, async () => {
    const token = await db.ApiToken.findOne({
      where: { token_hash: tokenHash, revoked_at: null },
      include: [{ model: db.User, as: 'user', required: true }],
    })
    return token?.user ? { user: token.user, token } : null
  })
  if (!owner) return null
  if (parsed.id !== undefined && parsed.id !== owner.token.id) return null

  await touchToken(db, owner.token)
  return owner
}

async function touchToken(db: Database, token: ApiToken): Promise<void> {
  const now = new Date()
  const staleBefore = new Date(now.getTime() - lastUsedResolutionMs)
  if (token.last_used_at && token.last_used_at > staleBefore) return

  await db.ApiToken.update(
    { last_used_at: now },
    {
      where: {
        id: token.id,
        [Op.or]: [{ last_used_at: null }, { last_used_at: { [Op.lt]: staleBefore } }],
      },
    },
  )
  token.last_used_at = now
}

/** Revokes one token; true when it was live until now. */
export async function revokeToken(
  db: Database,
  tokenId: number,
  options: { transaction?: Transaction } = {},
): Promise<boolean> {
  const [count] = await db.ApiToken.update(
    { revoked_at: new Date() },
    { where: { id: tokenId, revoked_at: null }, transaction: options.transaction },
  )
  return count === 1
}

/**
 * Revokes every live token of a user, except `exceptTokenId` (the one making
 * the request, when a user changes their own password). Returns how many.
 */
export async function revokeUserTokens(
  db: Database,
  userId: number,
  options: { exceptTokenId?: number; transaction?: Transaction } = {},
): Promise<number> {
  const where =
    options.exceptTokenId === undefined
      ? { user_id: userId, revoked_at: null }
      : { user_id: userId, revoked_at: null, id: { [Op.ne]: options.exceptTokenId } }
  const [count] = await db.ApiToken.update(
    { revoked_at: new Date() },
    { where, transaction: options.transaction },
  )
  return count
}
