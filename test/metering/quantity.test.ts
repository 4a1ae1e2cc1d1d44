import test from 'ava'
import { bytesToMicros, microsToDecimal, secondsToMicros } from '../../src/metering/quantity.js'

test('bytes are exact up to 2^63 − 1, given as a decimal string above 2^53', (t) => {
  t.is(bytesToMicros('9007199254740993'), 9_007_199_254_740_993_000_000n)
  t.is(bytesToMicros('9223372036854775807'), 9_223_372_036_854_775_807_000_000n)
  t.is(bytesToMicros(300), 300_000_000n)
  t.is(bytesToMicros(0), 0n)
})

test('bytes refuse negatives, fractions, text, overflow and unsafe numbers', (t) => {
  for (const value of [-1, 1.5, Number.NaN, 2 ** 64, 2 ** 53 + 2]) {
    t.is(bytesToMicros(value), undefined, String(value))
  }
  for (const value of ['abc', '-1', '1.5', '18446744073709551616', '9223372036854775808', '01']) {
    t.is(bytesToMicros(value), undefined, value)
  }
})

test('seconds keep the microsecond and round the seventh digit half up', (t) => {
  t.is(secondsToMicros(0.1), 100_000n)
  t.is(secondsToMicros(0.30000000000000004), 300_000n)
  t.is(secondsToMicros('1.0000005'), 1_000_001n)
  t.is(secondsToMicros('1.0000004'), 1_000_000n)
  t.is(secondsToMicros(3600), 3_600_000_000n)
  t.is(secondsToMicros(1e-7), 0n)
})

test('a number rounds once, exactly as the same decimal sent as a string', (t) => {
  const cases: [number, string, bigint][] = [
    [0.1234564999, '0.1234564999', 123_456n],
    [4.9e-7, '0.00000049', 0n],
    [5e-7, '0.0000005', 1n],
    [1.5e-6, '0.0000015', 2n],
    [123456.7890125, '123456.7890125', 123_456_789_013n],
  ]
  for (const [number, text, micros] of cases) {
    t.is(secondsToMicros(number), micros, String(number))
    t.is(secondsToMicros(text), micros, text)
  }
})

test('numbers are read exactly as written, on either side of 2^33 seconds', (t) => {
  t.is(secondsToMicros(0.000001), 1n)
  t.is(secondsToMicros(123456.789012), 123_456_789_012n)
  t.is(secondsToMicros(8589934591.999999), 8_589_934_591_999_999n)
  t.is(secondsToMicros(8589934592.000002), 8_589_934_592_000_002n)
  t.is(secondsToMicros(1e15), 1_000_000_000_000_000_000_000n)
  t.is(secondsToMicros(-0), 0n)
})

test('seconds refuse negatives, infinities, NaN and text', (t) => {
  for (const value of [-0.1, Number.POSITIVE_INFINITY, Number.NaN, 1e16]) {
    t.is(secondsToMicros(value), undefined, String(value))
  }
  for (const value of ['abc', '-1', '1e3', '.5', '']) t.is(secondsToMicros(value), undefined, value)
})

test('micro-units print as the shortest exact decimal', (t) => {
  t.is(microsToDecimal(600_000n), '0.6')
  t.is(microsToDecimal(300_000_000n), '300')
  t.is(microsToDecimal(1_000_001n), '1.000001')
  t.is(microsToDecimal(0n), '0')
  t.is(microsToDecimal(9_007_199_254_740_993_000_000n), '9007199254740993')
})
