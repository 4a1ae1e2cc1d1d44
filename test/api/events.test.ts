import test from 'ava'
import { createToken, INGEST_ABILITY } from '../../src/accounts/tokens.js'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { type ApiRig, startApi, userWithToken } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { drained, type MeterRig, startMeter, usageOf } from '../fixtures/metering.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

const bytesRule =
  'must be a whole number of bytes from 0 to 9223372036854775807 (a decimal string above 2^53)'

let postgres: FreshDatabase
let clickhouse: ClickHouse
let meter: MeterRig
let api: ApiRig
let ingestToken: string
let readerToken: string
let billed: number

test.before(async () => {
  postgres = await freshDatabase()
  clickhouse = await freshClickHouse()
  meter = await startMeter(postgres.db, clickhouse)
  api = await startApi(postgres.db, clickhouse, { events: meter.producer, bodyLimit: '64kb' })

  const pipeline = await userWithToken(postgres.db, 'pipeline', true)
  const issued = await createToken(postgres.db, pipeline.user, 'encoder', {
    abilities: [INGEST_ABILITY],
  })
  ingestToken = issued.plainText
  readerToken = pipeline.token
  billed = (await userWithToken(postgres.db, 'billed')).user.id
})

test.after.always(async () => {
  await api?.close()
  await meter?.close()
  await clickhouse?.close()
  await postgres?.close()
})

function post(body: string | object, token = ingestToken, type = 'application/json') {
  return fetch(`${api.url}/api/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

const upload = (id: string, value: number | string = 100) => ({
  event_id: id,
  type: 'usage',
  user_id: billed,
  metric: 'upload_bytes',
  value,
  occurred_at: '2026-08-01T10:00:00Z',
})

test.serial(
  'a batch is accepted in part: 202 with the count and each rejection named',
  async (t) => {
    const response = await post({
      events: [
        upload('h-1'),
        upload('h-2', -1),
        { ...upload('h-3'), user_id: 999_999 },
        upload('h-4'),
      ],
    })

    t.is(response.status, 202)
    t.deepEqual(await response.json(), {
      data: {
        accepted: 2,
        rejected: [
          {
            index: 1,
            event_id: 'h-2',
            errors: {
              value: [bytesRule],
            },
          },
          { index: 2, event_id: 'h-3', errors: { user_id: ['no such user'] } },
        ],
      },
    })
    await drained(meter.queue)
    t.deepEqual(await usageOf(clickhouse, billed), { 'upload_bytes//2026-08-01': '200' })
  },
)

test.serial('the same events sent again over HTTP count once', async (t) => {
  const again = await post({ events: [upload('h-1'), upload('h-4')] })
  const single = await post(upload('h-1'))

  t.is(again.status, 202)
  t.is(single.status, 202)
  await drained(meter.queue)
  t.deepEqual(await usageOf(clickhouse, billed), { 'upload_bytes//2026-08-01': '200' })
})

test.serial('one invalid event is a 422 naming its fields, and nothing is enqueued', async (t) => {
  const before = await meter.queue.count()
  const response = await post({ ...upload('h-5'), metric: 'storage', extra: 1 })

  t.is(response.status, 422)
  t.deepEqual(await response.json(), {
    message: 'The given data was invalid.',
    errors: {
      metric: ['must be one of upload_bytes, encoding_cpu, encoding_gpu'],
      extra: ['is not a known field'],
    },
  })
  t.is(await meter.queue.count(), before)
})

test('bodies of the wrong shape are 422, malformed JSON 400, too large 413', async (t) => {
  const cases: [string, number, object][] = [
    ['[1, 2]', 422, { _: [/one event object/] }],
    ['"text"', 422, { _: [/one event object/] }],
    ['{"events": []}', 422, { events: [/1 to 1000/] }],
    ['{"events": [{}], "more": 1}', 422, { more: ['is not a known field'] }],
    ['{"events": ', 400, {}],
    [JSON.stringify({ events: Array(1001).fill(upload('x')) }), 413, {}],
  ]
  for (const [body, status, errors] of cases) {
    const response = await post(body)
    const json = (await response.json()) as { errors?: Record<string, string[]> }
    t.is(response.status, status, body.slice(0, 40))
    for (const [field, [pattern]] of Object.entries(errors) as [string, [RegExp | string]][]) {
      const message = json.errors?.[field]?.[0] ?? ''
      if (pattern instanceof RegExp) t.regex(message, pattern)
      else t.is(message, pattern)
    }
  }
})

test('a token without the ingest ability gets 403, no token 401', async (t) => {
  t.is((await post(upload('h-6'), readerToken)).status, 403)
  t.is((await post(upload('h-6'), 'nope')).status, 401)
})

test('only admins get a token with the ingest ability, and that token may send', async (t) => {
  const admin = await userWithToken(postgres.db, 'ops', true)
  const plain = await userWithToken(postgres.db, 'viewer')
  const signIn = (email: string, abilities: unknown) =>
    fetch(`${api.url}/api/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct-horse-battery', abilities }),
    })

  const refused = await signIn(plain.user.email, ['ingest'])
  const unknown = await signIn(admin.user.email, ['delete-everything'])
  const granted = await signIn(admin.user.email, ['ingest'])

  t.is(refused.status, 403)
  t.is(unknown.status, 422)
  t.is(granted.status, 201)
  const { data } = (await granted.json()) as { data: { token: string; abilities: string[] } }
  t.deepEqual(data.abilities, ['ingest'])
  t.is((await post(upload('h-7'), data.token)).status, 202)
})

test('bodies the stores or the parser cannot take are refused, the field named', async (t) => {
  let deep: unknown = 1
  for (let level = 0; level < 3_000; level++) deep = { a: deep }
  const activity = {
    event_id: 'deep-1',
    type: 'activity',
    user_id: billed,
    event: 'video.tagged',
    description: 'tagged',
  }

  const nested = await post({ ...activity, properties: deep })
  const nul = await post({ ...activity, description: 'a\u0000b' })

  t.is(nested.status, 422)
  t.deepEqual(await nested.json(), {
    message: 'The given data was invalid.',
    errors: { properties: ['must nest at most 32 levels'] },
  })
  t.is(nul.status, 422)
})

test('a body that is not JSON or not decodable is refused, not read as empty', async (t) => {
  const plain = await post(JSON.stringify(upload('t-1')), ingestToken, 'text/plain')
  const brotli = await fetch(`${api.url}/api/events`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ingestToken}`,
      'content-type': 'application/json',
      'content-encoding': 'br',
    },
    body: '{"not": "brotli"}',
  })

  t.is(plain.status, 415)
  t.is(brotli.status, 400)
  t.deepEqual(await brotli.json(), { message: 'The request body could not be decompressed.' })
})

test('an ingest token stops working when its owner is no longer an admin', async (t) => {
  const ops = await userWithToken(postgres.db, 'demoted', true)
  const { plainText } = await createToken(postgres.db, ops.user, 'edge', {
    abilities: [INGEST_ABILITY],
  })
  t.is((await post(upload('d-1'), plainText)).status, 202)

  await ops.user.update({ is_admin: false })

  t.is((await post(upload('d-2'), plainText)).status, 403)
})

test('an ingest token is good for sending events only, not its owner’s other rights', async (t) => {
  const onlyFor = { message: 'This token is only for: ingest.' }
  for (const path of ['/api/users', '/api/usage?from=2026-08-01&to=2026-08-01']) {
    const response = await fetch(api.url + path, {
      headers: { authorization: `Bearer ${ingestToken}` },
    })
    t.is(response.status, 403, path)
    t.deepEqual(await response.json(), onlyFor, path)
  }

  const me = await fetch(`${api.url}/api/auth/me`, {
    headers: { authorization: `Bearer ${ingestToken}` },
  })
  t.is(me.status, 200)
})
