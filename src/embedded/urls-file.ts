import path from 'node:path'

/**
 * Where a running `npm run dev` announces the URLs of its embedded stores, so
 * that other commands on the same DATA_DIR (`npm run sample`) can reach them.
 */
export function embeddedUrlsFile(dataDir: string): string {
  return path.join(dataDir, 'embedded.json')
}
