/**
 * UTC calendar days as `YYYY-MM-DD` strings. Every day the product stores or
 * reads is a UTC day, so nothing here touches the process's local time zone.
 */

const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/
const msPerDay = 86_400_000

/** True for a real calendar day written exactly as YYYY-MM-DD (2026-02-30 is not). */
export function isUtcDay(value: string): boolean {
  const match = dayPattern.exec(value)
  if (!match) return false

  const [, year, month, day] = match.map(Number) as [number, number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day))
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  )
}

/**
 * The days a ClickHouse `Date` column holds. An event outside them would be
 * stored on a wrong day or refused by the insert, so it is refused up front.
 */
export const FIRST_STORED_DAY = '1970-01-01'
export const LAST_STORED_DAY = '2149-06-06'

/** True when an instant falls on a day the stores can hold. */
export function isStorableInstant(instant: number): boolean {
  if (!Number.isFinite(instant)) return false
  const day = utcDayOf(instant)
  return day.length === 10 && day >= FIRST_STORED_DAY && day <= LAST_STORED_DAY
}

/**
 * Names of the days seen lately, by day number since the epoch. Events come
 * in bursts of few distinct days, and formatting a date each time was a
 * quarter of the cost of reading an event.
 */
const dayNames = new Map<number, string>()
const maxDayNames = 4_096

/** The UTC day an instant falls on. */
export function utcDayOf(instant: Date | number): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime()
  const dayNumber = Math.floor(ms / msPerDay)
  const known = dayNames.get(dayNumber)
  if (known !== undefined) return known

  // Throws for an invalid instant, before anything is remembered.
  const day = new Date(ms).toISOString().slice(0, 10)
  if (dayNames.size >= maxDayNames) dayNames.clear()
  dayNames.set(dayNumber, day)
  return day
}

/** Days from `from` to `to`, both counted: the same day is 1. */
export function daysInRange(from: string, to: string): number {
  return (
    Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / msPerDay) + 1
  )
}

/** Every UTC day from `from` to `to` inclusive, stepped in UTC: no day repeats or goes missing. */
export function eachUtcDay(from: string, to: string): string[] {
  const days: string[] = []
  const end = Date.parse(`${to}T00:00:00Z`)
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= end; at += msPerDay) {
    days.push(utcDayOf(at))
  }
  return days
}
