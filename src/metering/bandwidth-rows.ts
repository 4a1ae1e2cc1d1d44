import type { BandwidthRecord } from './event-schema.js'

/** One row of the `bandwidth` table, as sent in JSONEachRow. */
export interface BandwidthRow {
  event_id: string
  user_id: number
  date: string
  /** `YYYY-MM-DD hh:mm:ss.sss`, read by the column as UTC. */
  occurred_at: string
  video_ulid: string
  external_user_id: string
  session_id: string
  ip: string
  /** Decimal text: a UInt64 above 2^53 stays exact. */
  bytes: string
}

export const bandwidthColumns = [
  'event_id',
  'user_id',
  'date',
  'occurred_at',
  'video_ulid',
  'external_user_id',
  'session_id',
  'ip',
  'bytes',
] as const

/** Bandwidth stays one row per event, in event id order so a retry sends the same bytes. */
export function bandwidthRows(records: readonly BandwidthRecord[]): BandwidthRow[] {
  return [...records]
    .sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0))
    .map((record) => ({
      event_id: record.eventId,
      user_id: record.userId,
      date: record.day,
      occurred_at: new Date(record.occurredAt).toISOString().replace('T', ' ').replace('Z', ''),
      video_ulid: record.videoUlid,
      external_user_id: record.externalUserId,
      session_id: record.sessionId,
      ip: record.ip,
      bytes: record.bytes.toString(),
    }))
}
