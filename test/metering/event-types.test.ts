import test from 'ava'
import { parseEvent } from '../../src/metering/event-schema.js'
import { decodeRecord, encodeRecord } from '../../src/metering/record-codec.js'

const bytesRule =
  'must be a whole number of bytes from 0 to 9223372036854775807 (a decimal string above 2^53)'

const enqueuedAt = Date.parse('2026-05-05T12:00:00Z')
const ulid = '01HZX3K8Q9V2W7M4N6P5R0S1T2'
const bandwidth = {
  event_id: 'bw-1',
  type: 'bandwidth',
  user_id: 7,
  video_ulid: ulid.toLowerCase(),
  bytes: '9007199254740993',
  ip: '203.0.113.9',
  occurred_at: '2026-03-31T23:30:00-05:00',
}
const activity = {
  event_id: 'act-1',
  type: 'activity',
  user_id: 7,
  event: 'video.uploaded',
  description: 'Uploaded "Launch"',
  subject_type: 'video',
  subject_id: 42,
  properties: { size: 1024, tags: ['a'] },
}

test('a bandwidth event keeps exact bytes, an upper-case ULID and an IPv4-mapped address', (t) => {
  t.deepEqual(parseEvent(bandwidth, enqueuedAt), {
    ok: true,
    record: {
      kind: 'bandwidth',
      eventId: 'bw-1',
      userId: 7,
      occurredAt: Date.parse('2026-04-01T04:30:00Z'),
      day: '2026-04-01',
      videoUlid: ulid,
      externalUserId: '',
      sessionId: '',
      ip: '::ffff:203.0.113.9',
      bytes: 9007199254740993n,
    },
  })
})

test('an activity event becomes an entry with its subject as text', (t) => {
  t.deepEqual(parseEvent(activity, enqueuedAt), {
    ok: true,
    record: {
      kind: 'activity',
      eventId: 'act-1',
      userId: 7,
      occurredAt: enqueuedAt,
      event: 'video.uploaded',
      description: 'Uploaded "Launch"',
      subjectType: 'video',
      subjectId: '42',
      properties: { size: 1024, tags: ['a'] },
    },
  })
})

test('bad bandwidth fields are named, every one in a single answer', (t) => {
  const bad = { ...bandwidth, video_ulid: 'not-a-ulid', bytes: -1, ip: 'fe80::1%eth0' }

  t.deepEqual(parseEvent(bad, enqueuedAt, 'events.2.'), {
    ok: false,
    errors: {
      'events.2.video_ulid': ['must be a ULID (26 characters of Crockford base 32)'],
      'events.2.bytes': [bytesRule],
      'events.2.ip': ['must be an IPv4 or IPv6 address'],
    },
  })
})

test('activity text PostgreSQL cannot store is refused before it can sink a batch', (t) => {
  const cases: [object, string][] = [
    [{ description: 'nul \0 here' }, 'description'],
    [{ properties: { note: 'half \ud800' } }, 'properties'],
    [{ properties: { 'k\0': 1 } }, 'properties'],
    [{ event: 'has space' }, 'event'],
    [{ properties: [1, 2] }, 'properties'],
    [{ properties: { blob: 'x'.repeat(20_000) } }, 'properties'],
  ]
  for (const [change, field] of cases) {
    const parsed = parseEvent({ ...activity, ...change }, enqueuedAt)
    t.false(parsed.ok, JSON.stringify(change).slice(0, 60))
    if (!parsed.ok) t.deepEqual(Object.keys(parsed.errors), [field])
  }
})

test('ids and texts no store keeps as sent are refused: no id merges, no batch sinks', (t) => {
  const usage = { event_id: 'up-1', type: 'usage', user_id: 7, metric: 'upload_bytes', value: 1 }
  const rule = ['must not contain NUL characters or unpaired surrogates']
  const cases: [object, string][] = [
    [{ ...usage, event_id: 'sur\ud800' }, 'event_id'],
    [{ ...usage, event_id: 'nul\0' }, 'event_id'],
    [{ ...usage, external_user_id: 'cust\ud800' }, 'external_user_id'],
    [{ ...usage, external_user_id: 'cust\udc00x' }, 'external_user_id'],
    [{ ...bandwidth, session_id: 's\ud800' }, 'session_id'],
    [{ ...bandwidth, external_user_id: 'c\0' }, 'external_user_id'],
    [{ ...activity, event_id: 'act\ud800' }, 'event_id'],
  ]
  for (const [event, field] of cases) {
    const parsed = parseEvent(event, enqueuedAt)
    t.deepEqual(parsed.ok ? {} : parsed.errors, { [field]: rule }, JSON.stringify(event))
  }

  const paired = parseEvent({ ...usage, event_id: 'emoji-\ud83c\udfac' }, enqueuedAt)
  t.true(paired.ok, 'a surrogate pair is a character like any other')
})

test('an instant outside the days the stores hold is refused, not moved', (t) => {
  const rule = 'must fall on a UTC day from 1970-01-01 to 2149-06-06'
  for (const occurred_at of [
    '9999-12-31T23:59:59-12:00',
    '0000-01-01T00:00:00+01:00',
    '1969-12-31T23:59:59Z',
    '2149-06-07T00:00:00Z',
  ]) {
    t.deepEqual(parseEvent({ ...activity, occurred_at }, enqueuedAt), {
      ok: false,
      errors: { occurred_at: [rule] },
    })
  }
  t.true(parseEvent({ ...activity, occurred_at: '2149-06-06T23:59:59Z' }, enqueuedAt).ok)
})

test('an unknown type names the three types', (t) => {
  t.deepEqual(parseEvent({ ...activity, type: 'billing' }, enqueuedAt), {
    ok: false,
    errors: { type: ['must be one of usage, bandwidth, activity'] },
  })
})

test('every kind of record survives the batch journal unchanged', (t) => {
  const usage = { event_id: 'u-1', type: 'usage', user_id: 3, metric: 'encoding_gpu', value: 0.3 }
  for (const raw of [bandwidth, activity, usage]) {
    const parsed = parseEvent(raw, enqueuedAt)
    if (!parsed.ok) return t.fail(raw.event_id)

    const stored = encodeRecord(parsed.record)
    t.deepEqual(decodeRecord(parsed.record.eventId, stored), parsed.record)
  }
})

test('a usage journal entry written before records had a kind still decodes', (t) => {
  const legacy = JSON.stringify([3, 'upload_bytes', 'cus', '2026-04-01', '5000000'])

  t.deepEqual(decodeRecord('old-1', legacy), {
    kind: 'usage',
    eventId: 'old-1',
    userId: 3,
    occurredAt: Date.parse('2026-04-01'),
    metric: 'upload_bytes',
    externalUserId: 'cus',
    day: '2026-04-01',
    micros: 5_000_000n,
  })
})

test('without a known type, the fields every event shares are still checked', (t) => {
  t.deepEqual(parseEvent({ event_id: '', user_id: -1 }, enqueuedAt, 'events.0.'), {
    ok: false,
    errors: {
      'events.0.type': ['is required'],
      'events.0.event_id': ['must not be empty'],
      'events.0.user_id': ['must be a positive integer'],
    },
  })
})

test('activity properties never carry a password or token, at any depth', (t) => {
  for (const properties of [{ password: 'hunter2' }, { user: { API_KEY: 'k' } }, [{ token: 1 }]]) {
    const parsed = parseEvent({ ...activity, properties: { wrap: properties } }, enqueuedAt)
    t.false(parsed.ok, JSON.stringify(properties))
    if (!parsed.ok) t.regex(parsed.errors.properties?.[0] ?? '', /^must not carry secrets/)
  }
  t.true(parseEvent({ ...activity, properties: { tokens_used: 3 } }, enqueuedAt).ok)
})

test('a secret is found under any spelling of its key, and only there', (t) => {
  const secretKeys = ['access_token', 'accessToken', 'refresh_token', 'client_secret', 'x-api-key']
  for (const key of [...secretKeys, 'apiKey', 'auth', 'Set-Cookie']) {
    const parsed = parseEvent({ ...activity, properties: { [key]: 'v' } }, enqueuedAt)
    t.deepEqual(parsed.ok ? {} : parsed.errors, {
      properties: [`must not carry secrets: remove "${key}"`],
    })
  }
  for (const key of ['author', 'passage', 'keyframes', 'api_version', 'passes']) {
    t.true(parseEvent({ ...activity, properties: { [key]: 1 } }, enqueuedAt).ok, key)
  }
})
