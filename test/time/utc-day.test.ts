import test from 'ava'
import { daysInRange, eachUtcDay, isUtcDay, utcDayOf } from '../../src/time/utc-day.js'

test('only real days written YYYY-MM-DD are days', (t) => {
  t.true(isUtcDay('2028-02-29'))
  t.true(isUtcDay('2026-12-31'))
  for (const value of [
    '2026-02-30',
    '2027-02-29',
    '2026-3-1',
    '2026-13-01',
    '2026-04-01T00:00:00Z',
    '',
  ]) {
    t.false(isUtcDay(value), value)
  }
})

test('an instant falls on its UTC day, whatever the offset it was written with', (t) => {
  t.is(utcDayOf(Date.parse('2026-03-31T23:30:00-05:00')), '2026-04-01')
  t.is(utcDayOf(Date.parse('2026-04-01T07:59:59+08:00')), '2026-03-31')
})

test('the day of an instant is the same asked once or many times, either side of midnight', (t) => {
  const midnight = Date.parse('2026-04-01T00:00:00Z')
  for (let round = 0; round < 2; round++) {
    t.is(utcDayOf(midnight), '2026-04-01')
    t.is(utcDayOf(midnight - 1), '2026-03-31')
    t.is(utcDayOf(new Date(midnight + 86_399_999)), '2026-04-01')
    t.is(utcDayOf(-1), '1969-12-31')
  }
  t.throws(() => utcDayOf(Number.NaN), { instanceOf: RangeError })
})

test('ranges count both ends and step across DST changes without gaps', (t) => {
  t.is(daysInRange('2026-03-01', '2026-03-01'), 1)
  t.is(daysInRange('2026-01-01', '2026-12-31'), 365)
  const march = eachUtcDay('2026-03-07', '2026-03-10')
  t.deepEqual(march, ['2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10'])
  t.is(eachUtcDay('2026-10-24', '2026-11-02').length, 10)
})
