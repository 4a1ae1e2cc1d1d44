import { isIP } from 'node:net'
import { z } from 'zod'
import { utcDayOf } from '../../time/utc-day.js'
import { BYTES_RULE, MAX_BYTES, wholeBytes } from '../quantity.js'
import { eventFields, externalUserRule, optionalText, type RecordBase, rule } from './common.js'

const ulidPattern = /^[0-9A-HJKMNP-TV-Z]{26}$/i

/** Bytes served by a streaming proxy for one video to one address. */
export const bandwidthSchema = z.strictObject({
  ...eventFields,
  type: z.literal('bandwidth'),
  video_ulid: z
    .string({ error: rule('must be a ULID string') })
    .regex(ulidPattern, 'must be a ULID (26 characters of Crockford base 32)')
    .meta({ description: 'The video served: its ULID, in either case.' }),
  bytes: z
    .union([z.number(), z.string()], { error: rule('must be a number or a decimal string') })
    .refine((bytes) => wholeBytes(bytes) !== undefined, {
      message: BYTES_RULE,
    })
    .meta({
      description:
        `Bytes delivered: a whole number from 0 to ${MAX_BYTES}, ` +
        'as a decimal string above 2^53.',
      examples: [7340032, '9007199254740993'],
    }),
  ip: z
    .string({ error: rule('must be an IPv4 or IPv6 address') })
    .refine((ip) => isIP(ip) !== 0 && !ip.includes('%'), 'must be an IPv4 or IPv6 address')
    .meta({ description: "The viewer's address: IPv4 or IPv6, without a zone." }),
  session_id: optionalText(200).meta({
    description: 'The playback session, up to 200 characters; default "" (no session).',
  }),
  external_user_id: optionalText(255).meta({ description: externalUserRule }),
})

export interface BandwidthRecord extends RecordBase {
  kind: 'bandwidth'
  day: string
  videoUlid: string
  externalUserId: string
  /** `""` when the proxy knew no session. */
  sessionId: string
  /** As the IPv6 column stores it: an IPv4 address IPv4-mapped. */
  ip: string
  bytes: bigint
}

export function toBandwidthRecord(event: z.output<typeof bandwidthSchema>, occurredAt: number) {
  return {
    kind: 'bandwidth',
    eventId: event.event_id,
    userId: event.user_id,
    occurredAt,
    day: utcDayOf(occurredAt),
    videoUlid: event.video_ulid.toUpperCase(),
    externalUserId: event.external_user_id,
    sessionId: event.session_id,
    ip: isIP(event.ip) === 4 ? `::ffff:${event.ip}` : event.ip.toLowerCase(),
    bytes: wholeBytes(event.bytes) as bigint,
  } satisfies BandwidthRecord
}
