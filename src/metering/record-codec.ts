import type { ActivityRecord, BandwidthRecord, MeterRecord, Metric } from './event-schema.js'

/**
 * The compact form a record takes in a batch journal, from which a worker that
 * adopts an abandoned batch rebuilds exactly the records the first one held.
 * Usage records written before other kinds existed have no tag; they still decode.
 */
export function encodeRecord(record: MeterRecord): string {
  switch (record.kind) {
    case 'usage':
      return JSON.stringify([
        record.userId,
        record.metric,
        record.externalUserId,
        record.day,
        record.micros.toString(),
        record.occurredAt,
      ])
    case 'bandwidth':
      return JSON.stringify([
        'b',
        record.userId,
        record.occurredAt,
        record.day,
        record.videoUlid,
        record.externalUserId,
        record.sessionId,
        record.ip,
        record.bytes.toString(),
      ])
    case 'activity':
      return JSON.stringify([
        'a',
        record.userId,
        record.occurredAt,
        record.event,
        record.description,
        record.subjectType,
        record.subjectId,
        record.properties,
      ])
  }
}

export function decodeRecord(eventId: string, stored: string): MeterRecord {
  const fields = JSON.parse(stored) as unknown[]
  if (fields[0] === 'b') return decodeBandwidth(eventId, fields)
  if (fields[0] === 'a') return decodeActivity(eventId, fields)

  const [userId, metric, externalUserId, day, micros, occurredAt] = fields as [
    number,
    Metric,
    string,
    string,
    string,
    number | undefined,
  ]
  return {
    kind: 'usage',
    eventId,
    userId,
    occurredAt: occurredAt ?? Date.parse(day),
    metric,
    externalUserId,
    day,
    micros: BigInt(micros),
  }
}

function decodeBandwidth(eventId: string, fields: unknown[]): BandwidthRecord {
  const [, userId, occurredAt, day, videoUlid, externalUserId, sessionId, ip, bytes] = fields as [
    'b',
    number,
    number,
    string,
    string,
    string,
    string,
    string,
    string,
  ]
  const base = { kind: 'bandwidth', eventId, userId, occurredAt, day } as const
  return { ...base, videoUlid, externalUserId, sessionId, ip, bytes: BigInt(bytes) }
}

function decodeActivity(eventId: string, fields: unknown[]): ActivityRecord {
  const [, userId, occurredAt, event, description, subjectType, subjectId, properties] = fields as [
    'a',
    number,
    number,
    string,
    string,
    string | null,
    string | null,
    object,
  ]
  const base = { kind: 'activity', eventId, userId, occurredAt } as const
  return {
    ...base,
    event,
    description,
    subjectType,
    subjectId,
    properties: properties as Record<string, unknown>,
  }
}
