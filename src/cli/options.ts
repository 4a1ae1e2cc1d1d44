import { InvalidArgumentError } from 'commander'

/**
 * A parser for an option that takes a whole number from `min` to `max`.
 * Digits only: `1e3` or `10abc` is a mistake to name, not a number to guess.
 */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value)
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`)
    }
    return number
  }
}

/** A parser for an option that may be given several times, each value one of `allowed`. */
export function oneOfEach(
  allowed: readonly string[],
): (value: string, previous: string[] | undefined) => string[] {
  return (value, previous) => {
    if (!allowed.includes(value)) {
      throw new InvalidArgumentError(`must be one of ${allowed.join(', ')}.`)
    }
    return [...new Set([...(previous ?? []), value])]
  }
}

/** Largest value of a PostgreSQL `integer` id column (users, tokens). */
export const MAX_ROW_ID = 2_147_483_647
