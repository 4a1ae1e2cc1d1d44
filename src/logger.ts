import { type Logger, pino } from 'pino'

export type { Logger }

/**
 * The process logger. JSON lines on stdout, or on stderr for a command whose
 * stdout is its output; `err` is the one key for errors, and credentials
 * never reach a line (see the redact paths).
 */
export function createLogger(
  level: string,
  name: string,
  options: { stream?: 'stdout' | 'stderr' } = {},
): Logger {
  // Written at once: a command's few lines must all be out before it exits.
  const stderr = options.stream === 'stderr' ? pino.destination({ dest: 2, sync: true }) : undefined
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'req.headers.authorization',
          'config.databaseUrl',
          'config.redisUrl',
          'config.clickhouseUrl',
          'config.adminSession.secret',
        ],
        censor: '[redacted]',
      },
    },
    stderr,
  )
}

/** A connection string fit for a log line: the password is masked. */
export function maskUrl(url: string | undefined): string | undefined {
  if (!url) return url
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '[unparsable url]'
  }
}
