import { createUser, findUserByEmail, isEmailTaken } from '../accounts/users.js'
import type { Database } from '../postgres/database.js'

/** Every sample user signs in with this password; it is printed with the sample. */
export const SAMPLE_PASSWORD = 'nukevideo-sample-day'

export interface SampleUser {
  id: number
  email: string
  name: string
}

/** `sample-01@nukevideo.test`, widened to three digits past 99 users. */
export function sampleEmail(number: number, count: number): string {
  return `sample-${String(number).padStart(count > 99 ? 3 : 2, '0')}@nukevideo.test`
}

/**
 * The sample users, created when missing and reused when present, so the
 * command can run again against the same database. Events for unknown users
 * are refused by the worker, which is why they must exist before enqueueing.
 */
export async function ensureSampleUsers(db: Database, count: number): Promise<SampleUser[]> {
  const users: SampleUser[] = []
  for (let number = 1; number <= count; number++) {
    const email = sampleEmail(number, count)
    const name = `Sample User ${number}`
    const user = (await findUserByEmail(db, email)) ?? (await create(db, name, email))
    users.push({ id: user.id, email: user.email, name: user.name })
  }
  return users
}

async function create(db: Database, name: string, email: string) {
  try {
    return await createUser(db, { name, email, password: SAMPLE_PASSWORD })
  } catch (err) {
    // Another run created it in the meantime.
    const existing = isEmailTaken(err) ? await findUserByEmail(db, email) : null
    if (!existing) throw err
    return existing
  }
}
