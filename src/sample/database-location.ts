import { existsSync } from 'node:fs'
import type { Config } from '../config.js'
import { embeddedUrlsFile, readEmbeddedUrls } from '../embedded/urls-file.js'

/** No PostgreSQL to write the sample users to; the message says how to get one. */
export class NoDatabaseError extends Error {}

/**
 * The PostgreSQL of the running product: `DATABASE_URL` when set, otherwise
 * the embedded one a running `npm run dev` announced in `embedded.json`.
 */
export async function locateDatabase(config: Config): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl

  const announced = (await readEmbeddedUrls(config.dataDir))?.databaseUrl
  if (announced) return announced

  const file = embeddedUrlsFile(config.dataDir)
  if (!existsSync(file)) {
    throw new NoDatabaseError(
      `No PostgreSQL found: DATABASE_URL is not set and ${file} does not exist. ` +
        'Start `npm run dev` in another terminal (or set DATABASE_URL), then run this again.',
    )
  }
  throw new NoDatabaseError(`${file} names no databaseUrl; restart \`npm run dev\`.`)
}
