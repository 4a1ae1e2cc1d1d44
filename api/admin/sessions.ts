import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { User } from '../../src/accounts/models.js'

/** The cookie that carries an admin's dashboard session, sent only under `/admin`. */
export const SESSION_COOKIE = 'nukevideo_admin'
export const SESSION_PATH = '/admin'

const version = 'v1'

/** What a valid cookie says; the user must still be checked against the database. */
export interface SessionClaim {
  userId: number
  expiresAt: number
  passwordStamp: string
}

/**
 * Signed, self-contained dashboard sessions:
 * `v1.<user id>.<expiry, s>.<password stamp>.<HMAC-SHA256>`.
 *
 * Nothing is stored: the signature proves the web issued the cookie, the
 * expiry bounds it, and the stamp (a digest of the user's password hash)
 * ends every session of a user whose password changes. Whether the user is
 * still there and still an admin is read from the database on each request.
 */
export class AdminSessions {
  readonly ttlMs: number

  constructor(
    private readonly key: string | Buffer,
    ttlMinutes: number,
  ) {
    this.ttlMs = ttlMinutes * 60_000
  }

  /** The cookie value of a new session for `user`. */
  issue(user: Pick<User, 'id' | 'password_hash'>, now = Date.now()): string {
    const expiresAt = Math.floor((now + this.ttlMs) / 1000)
    const payload = `${version}.${user.id}.${expiresAt}.${passwordStamp(user.password_hash)}`
    return `${payload}.${this.sign(payload)}`
  }

  /** The claim of a well-formed, correctly signed, unexpired cookie; otherwise undefined. */
  read(value: string | undefined, now = Date.now()): SessionClaim | undefined {
    const match = /^(v1\.([1-9]\d{0,9})\.(\d{1,12})\.([\w-]{22}))\.([\w-]{43})$/.exec(value ?? '')
    if (!match) return undefined
    const [, payload, userId, expiresAt, stamp, signature] = match as unknown as string[]

    const expected = Buffer.from(this.sign(payload as string))
    if (!timingSafeEqual(expected, Buffer.from(signature as string))) return undefined
    if (Number(expiresAt) * 1000 <= now) return undefined
    return {
      userId: Number(userId),
      expiresAt: Number(expiresAt),
      passwordStamp: stamp as string,
    }
  }

  /** True when the claim was issued for this user's current password. */
  belongsTo(claim: SessionClaim, user: Pick<User, 'id' | 'password_hash'>): boolean {
    return claim.userId === user.id && claim.passwordStamp === passwordStamp(user.password_hash)
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(`admin-session:${payload}`).digest('base64url')
  }
}

/** 128 bits of the password hash's digest: changes with the password, reveals nothing of it. */
function passwordStamp(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest().subarray(0, 16).toString('base64url')
}
