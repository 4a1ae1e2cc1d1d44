import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** Another live process serves the same embedded data directory. */
export class DataDirInUseError extends Error {}

/**
 * PGlite, unlike PostgreSQL, does not lock its data directory, and two
 * processes writing one directory corrupt it. A lock file holding the owner's
 * pid keeps a second one out; a file left by a process that no longer runs is
 * taken over.
 */
export function lockDataDir(dir: string, what: string): () => void {
  const file = path.join(dir, 'nukevideo.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' })
      return () => rmSync(file, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }

    const owner = Number(readFileSync(file, 'utf8'))
    if (isRunning(owner)) {
      throw new DataDirInUseError(
        `The embedded ${what} data in ${dir} is in use by process ${owner}. ` +
          'Stop that process, use another DATA_DIR, or set DATABASE_URL.',
      )
    }
    rmSync(file, { force: true })
  }
  throw new DataDirInUseError(`Could not lock ${dir}`)
}

function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
