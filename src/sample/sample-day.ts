import type { Metric } from '../metering/event-schema.js'
import { microsToDecimal } from '../metering/quantity.js'
import { createRng, type Rng } from './prng.js'

/** One usage event as a producer sends it: the wire shape the worker validates. */
export interface SampleEvent {
  event_id: string
  type: 'usage'
  user_id: number
  metric: Metric
  value: number | string
  external_user_id?: string
  occurred_at: string
}

/** An event with the exact quantity it carries, in micro-units, kept for the expected totals. */
export interface GeneratedEvent {
  event: SampleEvent
  micros: bigint
  /** Milliseconds since the epoch; orders the day. */
  at: number
}

export interface SampleDayOptions {
  /** The UTC day, YYYY-MM-DD. */
  day: string
  seed: number
  /** The users to bill, in a fixed order: the same list and seed give the same day. */
  userIds: readonly number[]
}

const msPerDay = 86_400_000
const minUploadBytes = 8 * 1024
const maxUploadBytes = 50_000_000_000
const longestVideoSeconds = 4 * 3600
const maxChunksPerVideo = 120
/** Offsets in minutes that producers around the world write their timestamps in. */
const offsets = [0, 0, 0, -300, -240, -480, 60, 120, 330, 540, 600, -210, 345]

/**
 * The unique usage events of one day: per user a few customers, uploads of
 * log-distributed sizes, and per upload an encode split into chunks on CPU or
 * GPU nodes. Pure and deterministic for the day, the seed and the user list.
 */
export function generateEvents(options: SampleDayOptions): GeneratedEvent[] {
  const rng = createRng(`nukevideo-sample:${options.day}:${options.seed}`)
  const dayStart = Date.parse(`${options.day}T00:00:00Z`)
  const events: GeneratedEvent[] = []

  options.userIds.forEach((userId, slot) => {
    const customers = Array.from({ length: rng.int(1, 5) }, () => customerId(rng))
    const uploads = rng.int(2, 12)
    for (let upload = 0; upload < uploads; upload++) {
      const video = {
        idBase: `sample-${options.day}-s${options.seed}-u${pad(slot + 1, 3)}-v${pad(upload, 2)}`,
        userId,
        externalUserId: rng.chance(0.15) ? undefined : rng.pick(customers),
        uploadedAt: dayStart + Math.floor(rng.next() * 22 * 3600 * 1000),
        bytes: uploadBytes(rng),
      }
      events.push(uploadEvent(rng, video), ...encodeEvents(rng, video, dayStart + msPerDay - 1))
    }
  })
  return events
}

interface Video {
  idBase: string
  userId: number
  externalUserId: string | undefined
  uploadedAt: number
  bytes: number
}

/** Log-distributed; two draws averaged, so most are megabytes and a few are KB or tens of GB. */
function uploadBytes(rng: Rng): number {
  const spread = (rng.next() + rng.next()) / 2
  const logMin = Math.log(minUploadBytes)
  return Math.round(Math.exp(logMin + spread * (Math.log(maxUploadBytes) - logMin)))
}

function uploadEvent(rng: Rng, video: Video): GeneratedEvent {
  const bytes = video.bytes
  const asText = bytes > Number.MAX_SAFE_INTEGER || rng.chance(0.1)
  return {
    event: wire(rng, video, `${video.idBase}-upload`, 'upload_bytes', asText ? `${bytes}` : bytes),
    micros: BigInt(bytes) * 1_000_000n,
    at: video.uploadedAt,
  }
}

/**
 * The chunks of one encode. Video length follows from size and bitrate; CPU
 * nodes encode at about 0.6–2.4× the video's length, GPU nodes at 0.08–0.3×,
 * and chunks run on a few nodes in parallel, so they finish at staggered times.
 */
function encodeEvents(rng: Rng, video: Video, lastInstant: number): GeneratedEvent[] {
  const upload = video.uploadedAt
  const bitsPerSecond = rng.logUniform(1_500_000, 16_000_000)
  const duration = clamp((video.bytes * 8) / bitsPerSecond, 1, longestVideoSeconds)
  const chunkSeconds = Math.max(10, Math.ceil(duration / maxChunksPerVideo))
  const chunks = Math.ceil(duration / chunkSeconds)

  const gpu = rng.chance(0.35)
  const speed = gpu ? rng.next() * 0.22 + 0.08 : rng.next() * 1.8 + 0.6
  const lanes = gpu ? rng.int(1, 4) : rng.int(2, 16)
  const laneClock = Array.from({ length: lanes }, () => upload + rng.int(5_000, 120_000))

  const events: GeneratedEvent[] = []
  for (let chunk = 0; chunk < chunks; chunk++) {
    const videoSeconds = Math.min(chunkSeconds, duration - chunk * chunkSeconds)
    const jitter = 0.85 + rng.next() * 0.3
    const micros = BigInt(Math.max(1_000, Math.round(videoSeconds * speed * jitter * 1e6)))
    const lane = chunk % lanes
    laneClock[lane] = (laneClock[lane] as number) + Number(micros / 1_000n)
    const at = Math.min(laneClock[lane] as number, lastInstant)

    const seconds = rng.chance(0.15) ? microsToDecimal(micros) : Number(micros) / 1e6
    const metric = gpu ? 'encoding_gpu' : 'encoding_cpu'
    const id = `${video.idBase}-${gpu ? 'gpu' : 'cpu'}-c${pad(chunk, 3)}`
    events.push({ event: wire(rng, video, id, metric, seconds, at), micros, at })
  }
  return events
}

function wire(
  rng: Rng,
  video: Video,
  eventId: string,
  metric: Metric,
  value: number | string,
  at = video.uploadedAt,
): SampleEvent {
  return {
    event_id: eventId,
    type: 'usage',
    user_id: video.userId,
    metric,
    value,
    ...(video.externalUserId === undefined ? {} : { external_user_id: video.externalUserId }),
    occurred_at: withOffset(at, rng.pick(offsets), rng.chance(0.5)),
  }
}

/** The instant written in a local time with its offset; the UTC day is unchanged by this. */
export function withOffset(instant: number, offsetMinutes: number, plusZero = false): string {
  const local = new Date(instant + offsetMinutes * 60_000).toISOString().slice(0, 23)
  if (offsetMinutes === 0) return plusZero ? `${local}+00:00` : `${local}Z`

  const sign = offsetMinutes < 0 ? '-' : '+'
  const magnitude = Math.abs(offsetMinutes)
  return `${local}${sign}${pad(Math.floor(magnitude / 60), 2)}:${pad(magnitude % 60, 2)}`
}

function customerId(rng: Rng): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789'
  return `cus_${Array.from({ length: 10 }, () => rng.pick([...letters])).join('')}`
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0')
}
