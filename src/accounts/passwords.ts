import { randomBytes } from 'node:crypto'
import argon2 from 'argon2'

/** argon2id with the library's defaults (64 MiB, 3 passes): slow on purpose. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id })
}

/** False for a wrong password and for a stored hash that cannot be read. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password)
  } catch {
    return false
  }
}

let decoyHash: Promise<string> | undefined

/**
 * Spends the same time as a real check when no user has the e-mail, so the
 * response time does not tell which e-mails have accounts.
 */
export async function verifyAgainstDecoy(password: string): Promise<false> {
  decoyHash ??= hashPassword(randomBytes(32).toString('base64url'))
  await verifyPassword(await decoyHash, password)
  return false
}
