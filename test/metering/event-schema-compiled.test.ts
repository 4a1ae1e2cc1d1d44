import test from 'ava'
import { z } from 'zod'
import { eventSchema, eventSchemaForValidEvents } from '../../src/metering/event-schema.js'

const valid: Record<string, Record<string, unknown>> = {
  usage: {
    event_id: 'u-1',
    type: 'usage',
    user_id: 7,
    metric: 'encoding_cpu',
    value: 0.25,
    external_user_id: 'cust-7',
    occurred_at: '2026-03-31T23:30:00-05:00',
  },
  bandwidth: {
    event_id: 'bw-1',
    type: 'bandwidth',
    user_id: 7,
    video_ulid: '01hzx3k8q9v2w7m4n6p5r0s1t2',
    bytes: '9007199254740993',
    ip: '2001:db8::1',
    session_id: 'sess-1',
  },
  activity: {
    event_id: 'act-1',
    type: 'activity',
    user_id: 7,
    event: 'video.uploaded',
    description: 'Uploaded "Launch"',
    subject_type: 'video',
    subject_id: 42,
    properties: { size: 1024, tags: ['a'] },
  },
}

/** Values every field is tried with, good and bad, on top of each valid event. */
const alternatives: unknown[] = [
  undefined,
  null,
  '',
  'x'.repeat(201),
  'x'.repeat(2_001),
  'a\u0000b',
  '\ud800',
  0,
  -1,
  1.5,
  0.1234565,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '0',
  '123',
  '1.0000005',
  '9223372036854775808',
  'upload_bytes',
  'encoding_gpu',
  'usage',
  'bandwidth',
  '2026-02-30T00:00:00Z',
  '2026-04-01T00:00:00+14:00',
  '2149-06-07T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '2026-04-01T00:00:00',
  '203.0.113.9',
  'fe80::1%eth0',
  '01HZX3K8Q9V2W7M4N6P5R0S1T2',
  'user.signed-in',
  {},
  { password: 'x' },
  [],
  true,
]

// Compiles as the product does, but refuses to fall back to the runtime parser.
const compiled = z.compile(eventSchemaForValidEvents, { strict: true })

test('the compiled check accepts exactly what the schema accepts, with the same output', (t) => {
  let accepted = 0
  let refused = 0
  for (const base of Object.values(valid)) {
    const fields = [...Object.keys(valid.usage ?? {}), ...Object.keys(base), 'unknown_field']
    for (const field of new Set(fields)) {
      for (const value of alternatives) {
        const event = { ...base, [field]: value }
        const full = eventSchema.safeParse(event)
        const fast = compiled.safeParse(event)

        const label = JSON.stringify({ field, value: String(value) })
        t.is(fast.success, full.success, label)
        if (full.success) t.deepEqual(fast.data, full.data, label)
        if (full.success) accepted += 1
        else refused += 1
      }
    }
  }
  t.true(accepted > 100 && refused > 500, `${accepted} accepted, ${refused} refused`)
})
