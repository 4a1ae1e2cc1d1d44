import { rename, writeFile } from 'node:fs/promises'
import type { Logger } from '../../src/logger.js'

export interface HeartbeatOptions {
  file: string
  intervalMs: number
  /** True while the worker can take jobs; a check that hangs counts as false. */
  alive: () => Promise<boolean>
  log: Logger
}

export interface Heartbeat {
  stop(): void
}

/** How long one liveness check may take before the beat is skipped. */
const checkTimeoutMs = 2_000

/**
 * Rewrites `file` every interval while the worker is alive, for a container
 * health check: the worker serves no port to ask, so the check reads the
 * file's age instead. A worker that stopped, hangs, or lost Redis stops
 * beating, and the file goes stale.
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const beat = async () => {
    try {
      if (await withinDeadline(options.alive())) {
        // Written aside and renamed, so a reader never sees a half-written file.
        const next = `${options.file}.next`
        await writeFile(next, `${new Date().toISOString()}\n`)
        await rename(next, options.file)
      } else {
        options.log.warn({ file: options.file }, 'worker not alive; heartbeat skipped')
      }
    } catch (err) {
      options.log.warn({ err, file: options.file }, 'heartbeat failed')
    }
    if (!stopped) timer = setTimeout(beat, options.intervalMs).unref()
  }
  void beat()

  return {
    stop() {
      stopped = true
      clearTimeout(timer)
    },
  }
}

async function withinDeadline(check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), checkTimeoutMs)
  })
  try {
    return await Promise.race([check.catch(() => false), deadline])
  } finally {
    clearTimeout(timer)
  }
}
