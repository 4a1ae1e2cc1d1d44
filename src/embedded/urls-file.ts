import { readFile } from 'node:fs/promises'
import path from 'node:path'

/** The URLs the embedded process serves its stores on; unset for a store configured by URL. */
export interface EmbeddedUrls {
  databaseUrl?: string
  clickhouseUrl?: string
}

/**
 * Where a running `npm run dev` announces the URLs of its embedded stores, so
 * that other commands on the same DATA_DIR (`npm run sample`) can reach them.
 */
export function embeddedUrlsFile(dataDir: string): string {
  return path.join(dataDir, 'embedded.json')
}

/** What a running `npm run dev` announced, or undefined when none runs on `dataDir`. */
export async function readEmbeddedUrls(dataDir: string): Promise<EmbeddedUrls | undefined> {
  let text: string
  try {
    text = await readFile(embeddedUrlsFile(dataDir), 'utf8')
  } catch {
    return undefined
  }

  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { databaseUrl, clickhouseUrl } = parsed as Record<string, unknown>
  return {
    databaseUrl: typeof databaseUrl === 'string' && databaseUrl !== '' ? databaseUrl : undefined,
    clickhouseUrl:
      typeof clickhouseUrl === 'string' && clickhouseUrl !== '' ? clickhouseUrl : undefined,
  }
}
