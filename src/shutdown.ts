import type { Logger } from './logger.js'

export interface ShutdownStep {
  name: string
  run: () => Promise<unknown>
  timeoutMs?: number
}

/**
 * Runs shutdown steps in the order given (callers list them in reverse order
 * of start-up). A step that fails or overruns its deadline is logged and the
 * next one still runs, so one stuck store never keeps the others open.
 */
export async function runShutdown(steps: ShutdownStep[], log: Logger): Promise<boolean> {
  let clean = true
  for (const step of steps) {
    const timeoutMs = step.timeoutMs ?? 10_000
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
    })
    try {
      const outcome = await Promise.race([step.run().then(() => 'done' as const), deadline])
      if (outcome === 'timeout') {
        clean = false
        log.error({ step: step.name, timeout_ms: timeoutMs }, 'shutdown step timed out')
      }
    } catch (err) {
      clean = false
      log.error({ err, step: step.name }, 'shutdown step failed')
    } finally {
      clearTimeout(timer)
    }
  }
  return clean
}

export interface SignalOptions {
  /**
   * How long to wait before stopping when the parent that forked this process
   * goes away. The embedded stores wait so that web and worker, told at the
   * same moment, can still flush into them.
   */
  parentGoneDelayMs?: number
}

/**
 * Calls `stop` once on the first SIGTERM, SIGINT or SIGHUP (a closed
 * terminal), or when the dev supervisor that forked this process is gone; a
 * second signal exits at once.
 */
export function onSignals(
  stop: (signal: string) => Promise<void>,
  log: Logger,
  options: SignalOptions = {},
): void {
  let stopping = false
  const handle = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    stopping = true
    log.info({ signal }, 'shutting down')
    stop(signal).then(
      () => process.exit(process.exitCode ?? 0),
      (err) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', handle)
  process.on('SIGINT', handle)
  process.on('SIGHUP', handle)

  // Forked with an IPC channel: its end means the supervisor died without
  // stopping us (SIGKILL, a crash); an orphan would hold ports and locks.
  if (process.send) {
    process.once('disconnect', () => {
      if (stopping) return
      setTimeout(() => handle('parent gone'), options.parentGoneDelayMs ?? 0).unref()
    })
  }
}
