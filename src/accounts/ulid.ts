import { randomBytes } from 'node:crypto'

const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/**
 * A ULID: 10 characters of millisecond time then 16 of randomness, in
 * Crockford's base 32, so ids sort by creation time and reveal no row count.
 */
export function newUlid(now: number = Date.now()): string {
  let time = ''
  let rest = now
  for (let i = 0; i < 10; i++) {
    time = alphabet[rest % 32] + time
    rest = Math.floor(rest / 32)
  }

  let random = ''
  const bytes = randomBytes(16)
  for (const byte of bytes) random += alphabet[byte & 31]

  return time + random
}
