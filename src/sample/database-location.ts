import { readFile } from 'node:fs/promises'
import type { Config } from '../config.js'
import { embeddedUrlsFile } from '../embedded/urls-file.js'

/** No PostgreSQL to write the sample users to; the message says how to get one. */
export class NoDatabaseError extends Error {}

/**
 * The PostgreSQL of the running product: `DATABASE_URL` when set, otherwise
 * the embedded one a running `npm run dev` announced in `embedded.json`.
 */
export async function locateDatabase(config: Config): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl

  const file = embeddedUrlsFile(config.dataDir)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new NoDatabaseError(
      `No PostgreSQL found: DATABASE_URL is not set and ${file} does not exist. ` +
        'Start `npm run dev` in another terminal (or set DATABASE_URL), then run this again.',
    )
  }

  const url = parsedDatabaseUrl(text)
  if (typeof url !== 'string' || url === '') {
    throw new NoDatabaseError(`${file} names no databaseUrl; restart \`npm run dev\`.`)
  }
  return url
}

function parsedDatabaseUrl(text: string): unknown {
  try {
    return (JSON.parse(text) as { databaseUrl?: unknown } | null)?.databaseUrl
  } catch {
    return undefined
  }
}
