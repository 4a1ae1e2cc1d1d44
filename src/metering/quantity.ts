/**
 * Exact quantities. Values travel as integers of micro-units (bigint) from
 * validation to the insert, and reach ClickHouse as decimal strings for a
 * `Decimal(38, 6)` column, so sums never drift the way Float64 sums do.
 */

const microsPerUnit = 1_000_000n

/** Largest byte count an event may carry: 2^63 − 1. */
export const MAX_BYTES = 2n ** 63n - 1n

/** How a byte count is refused, wherever one is checked. */
const wholeBytesRule = `must be a whole number of bytes from 0 to ${MAX_BYTES}`
export const BYTES_RULE = `${wholeBytesRule} (a decimal string above 2^53)`

/** Largest number of seconds one event may carry (about 31 million years). */
export const MAX_SECONDS = 1e15

const integerText = /^(0|[1-9]\d*)$/
const decimalText = /^(0|[1-9]\d*)(\.\d+)?$/

/** A byte count from 0 to 2^63 − 1; `undefined` for anything else. */
export function wholeBytes(value: number | string): bigint | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined
  }
  if (!integerText.test(value)) return undefined

  const bytes = BigInt(value)
  return bytes <= MAX_BYTES ? bytes : undefined
}

/** Whole units (bytes) as micro-units; `undefined` when not a non-negative integer. */
export function bytesToMicros(value: number | string): bigint | undefined {
  const bytes = wholeBytes(value)
  return bytes === undefined ? undefined : bytes * microsPerUnit
}

/**
 * Seconds as micro-units, rounded half up to the microsecond, once. A number
 * is read as the shortest decimal that names it (JavaScript's own `String`),
 * which is the decimal its producer wrote: 0.1234564999 rounds down and 5e-7
 * up, exactly as the same values sent as strings do.
 */
export function secondsToMicros(value: number | string): bigint | undefined {
  let text: string
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value > MAX_SECONDS) return undefined
    const micros = exactMicros(value)
    if (micros !== undefined) return micros
    text = plainDecimal(value)
  } else {
    if (!decimalText.test(value) || Number(value) > MAX_SECONDS) return undefined
    text = value
  }

  const [whole = '0', fraction = ''] = text.split('.')
  const digits = `${fraction}0000000`.slice(0, 7)
  const micros = BigInt(whole) * microsPerUnit + BigInt(digits.slice(0, 6))
  return Number(digits[6]) >= 5 ? micros + 1n : micros
}

/**
 * The common case without text: a number written with at most six decimals.
 * Below 2^33 doubles lie less than a microsecond apart, so when `micros / 1e6`
 * reads back as the very same number, `micros` millionths is the decimal the
 * number was written as, the one `String(value)` prints, and nothing rounds.
 */
function exactMicros(value: number): bigint | undefined {
  if (value >= exactBelow) return undefined
  const micros = Math.round(value * 1e6)
  return micros / 1e6 === value ? BigInt(micros) : undefined
}

const exactBelow = 2 ** 33

/** A non-negative finite number as plain decimal text, without exponent: 4.9e-7 → "0.00000049". */
function plainDecimal(value: number): string {
  const [mantissa = '0', exponentText] = String(value).split('e')
  if (exponentText === undefined) return mantissa

  const exponent = Number(exponentText)
  const [whole = '0', fraction = ''] = mantissa.split('.')
  const digits = whole + fraction
  const point = whole.length + exponent
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length)
  return `${digits.slice(0, point)}.${digits.slice(point)}`
}

/** Micro-units as the decimal text ClickHouse parses exactly: "0.6", "300", "1.000001". */
export function microsToDecimal(micros: bigint): string {
  const negative = micros < 0n
  const magnitude = negative ? -micros : micros
  const whole = magnitude / microsPerUnit
  const fraction = (magnitude % microsPerUnit).toString().padStart(6, '0').replace(/0+$/, '')
  const text = fraction ? `${whole}.${fraction}` : whole.toString()
  return negative ? `-${text}` : text
}
