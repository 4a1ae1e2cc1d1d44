import test from 'ava'
import { parseEvent } from '../../src/metering/event-schema.js'

const enqueuedAt = Date.parse('2026-05-05T12:00:00Z')
const upload = { event_id: 'e-1', type: 'usage', user_id: 7, metric: 'upload_bytes', value: 100 }

test('a valid upload becomes a record dated by its enqueue time when it carries none', (t) => {
  t.deepEqual(parseEvent(upload, enqueuedAt), {
    ok: true,
    record: {
      kind: 'usage',
      eventId: 'e-1',
      userId: 7,
      occurredAt: enqueuedAt,
      metric: 'upload_bytes',
      externalUserId: '',
      day: '2026-05-05',
      micros: 100_000_000n,
    },
  })
})

test('occurred_at decides the UTC day', (t) => {
  const event = { ...upload, occurred_at: '2026-03-31T23:30:00-05:00' }
  const parsed = parseEvent(event, enqueuedAt)
  t.true(parsed.ok)
  if (parsed.ok && parsed.record.kind === 'usage') t.is(parsed.record.day, '2026-04-01')
})

test('bad values are refused with a reason that names the field', (t) => {
  const cases: [unknown, Record<string, string[]>][] = [
    [{ ...upload, value: -1 }, { value: [bytesRule] }],
    [{ ...upload, value: 1.5 }, { value: [bytesRule] }],
    [{ ...upload, value: 'abc' }, { value: [bytesRule] }],
    [{ ...upload, value: null }, { value: ['must be a number or a decimal string'] }],
    [{ ...upload, value: '18446744073709551616' }, { value: [bytesRule] }],
    [{ ...upload, metric: 'encoding_tpu' }, { metric: [metricRule] }],
    [{ ...upload, user_id: undefined }, { user_id: ['is required'] }],
    [{ ...upload, user_id: '7' }, { user_id: ['must be a positive integer'] }],
    [{ ...upload, occurred_at: '2026-03-31T23:30:00' }, { occurred_at: [offsetRule] }],
    [{ ...upload, event_id: '' }, { event_id: ['must not be empty'] }],
    ['upload', { _: ['must be a JSON object'] }],
  ]
  for (const [event, errors] of cases) {
    t.deepEqual(parseEvent(event, enqueuedAt), { ok: false, errors }, JSON.stringify(event))
  }
})

test('every problem of one event is reported at once', (t) => {
  const event = { ...upload, user_id: 0, metric: 'encoding_cpu', value: -0.5, event_id: '' }
  t.deepEqual(parseEvent(event, enqueuedAt), {
    ok: false,
    errors: {
      event_id: ['must not be empty'],
      user_id: ['must be a positive integer'],
      value: ['must be a finite number of seconds from 0 to 1000000000000000'],
    },
  })
})

test('a batch member is named by its position', (t) => {
  const parsed = parseEvent({ ...upload, value: -1 }, enqueuedAt, 'events.3.')
  t.deepEqual(parsed, { ok: false, errors: { 'events.3.value': [bytesRule] } })
})

const bytesRule =
  'must be a whole number of bytes from 0 to 9223372036854775807 (a decimal string above 2^53)'
const metricRule = 'must be one of upload_bytes, encoding_cpu, encoding_gpu'
const offsetRule = 'must be an ISO 8601 date-time with an offset'
