import { CommanderError } from 'commander'
import { ConfigError } from '../errors.js'
import { describeFieldErrors, type FieldErrors } from '../validation.js'

/** Exit statuses of the command line, stated once. */
export const EXIT = {
  ok: 0,
  /** The command ran and failed: a store refused, an entry could not be replayed. */
  failed: 1,
  /** The command never ran: a bad argument or a bad environment variable. */
  usage: 2,
} as const

/** A bad argument, found after commander parsed it; the message names the option. */
export class UsageError extends Error {}

/** A command that ran and could not do what was asked; the message says why. */
export class CommandFailedError extends Error {}

/** Problems found by a schema, reported against the options the user typed. */
export function invalidOptions(errors: FieldErrors, optionOf: Record<string, string>): UsageError {
  const named = Object.fromEntries(
    Object.entries(errors).map(([field, messages]) => [optionOf[field] ?? field, messages]),
  )
  return new UsageError(describeFieldErrors(named))
}

/**
 * The line printed for a failure and the exit status it ends with. Commander
 * has already printed its own errors (and help), so only the status is left.
 */
export function describeFailure(err: unknown): { message?: string; exitCode: number } {
  if (err instanceof CommanderError) {
    return { exitCode: err.exitCode === 0 ? EXIT.ok : EXIT.usage }
  }
  if (err instanceof ConfigError) return { message: err.message, exitCode: EXIT.usage }
  if (err instanceof UsageError) return { message: err.message, exitCode: EXIT.usage }
  if (err instanceof Error) return { message: err.message, exitCode: EXIT.failed }
  return { message: String(err), exitCode: EXIT.failed }
}
