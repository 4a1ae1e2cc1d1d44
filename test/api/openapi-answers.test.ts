import test, { type ExecutionContext } from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import type { EventQueue } from '../../src/ingest/ingest-events.js'
import type { EventInput } from '../../src/metering/event-schema.js'
import { usageColumns } from '../../src/metering/usage-rows.js'
import { insertBatch } from '../../workers/metering/clickhouse-sink.js'
import { type ApiRig, getJson, startApi, userWithToken } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { shapeProblems } from '../fixtures/json-shape.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

// biome-ignore lint/suspicious/noExplicitAny: the test walks the document freely
type Doc = Record<string, any>

let postgres: FreshDatabase
let clickhouse: ClickHouse
let api: ApiRig
let doc: Doc
const batches: EventInput[][] = []

const recordingQueue: EventQueue = {
  record: async () => 'event-job',
  recordBatch: async (events) => {
    batches.push(events)
    return 'batch-job'
  },
}

test.before(async () => {
  postgres = await freshDatabase()
  clickhouse = await freshClickHouse()
  api = await startApi(postgres.db, clickhouse, { events: recordingQueue })
  doc = (await getJson(`${api.url}/api/openapi.json`)).body as Doc
})

test.after.always(async () => {
  await api?.close()
  await clickhouse?.close()
  await postgres?.close()
})

/** Calls the API and holds the answer against what the document says of that status. */
async function holdsToDocument(
  t: ExecutionContext,
  route: { method: string; path: string; documented?: string },
  request: { token?: string; body?: unknown; status: number },
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely
): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (request.token) headers.authorization = `Bearer ${request.token}`
  const body = request.body === undefined ? undefined : JSON.stringify(request.body)
  const response = await fetch(api.url + route.path, { method: route.method, headers, body })
  const text = await response.text()
  const json = text === '' ? undefined : JSON.parse(text)
  const label = `${route.method} ${route.path} ${response.status}`
  t.is(response.status, request.status, label)

  const operation =
    doc.paths[route.documented ?? (route.path.split('?')[0] as string)]?.[
      route.method.toLowerCase()
    ]
  let documented = operation?.responses[response.status]
  if (documented?.$ref) documented = doc.components.responses[documented.$ref.split('/').pop()]
  t.truthy(documented, `${label} is documented`)
  const schema = documented?.content?.['application/json']?.schema
  if (schema) t.deepEqual(shapeProblems(json, schema, doc), [], label)
  else t.is(json, undefined, label)
  return json
}

test('real answers have the documented statuses and bodies', async (t) => {
  const admin = await userWithToken(postgres.db, 'admin', true)
  const plain = await userWithToken(postgres.db, 'plain')
  const credentials = { email: admin.user.email, password: 'correct-horse-battery' }
  const as = (token: string, status: number, body?: unknown) => ({ token, status, body })
  const tokens = { method: 'POST', path: '/api/auth/tokens' }
  const users = { method: 'POST', path: '/api/users' }
  const newUser = {
    name: 'Grace',
    email: 'grace@example.com',
    is_admin: false,
    password: 'cobol-1959',
  }

  const signedIn = await holdsToDocument(t, tokens, {
    status: 201,
    body: { ...credentials, abilities: ['ingest'] },
  })
  await holdsToDocument(t, tokens, { status: 422, body: { ...credentials, password: 'wrong' } })
  await holdsToDocument(t, { method: 'GET', path: '/api/auth/me' }, { status: 401 })
  await holdsToDocument(t, { method: 'GET', path: '/api/auth/me' }, as(admin.token, 200))

  const created = await holdsToDocument(t, users, as(admin.token, 201, newUser))
  await holdsToDocument(t, users, as(admin.token, 409, newUser))
  await holdsToDocument(t, users, as(admin.token, 422, { name: '' }))
  await holdsToDocument(t, users, as(plain.token, 403, newUser))
  await holdsToDocument(t, users, as(admin.token, 413, { ...newUser, name: 'x'.repeat(1_100_000) }))
  const one = { path: `/api/users/${created.data.id}`, documented: '/api/users/{id}' }
  await holdsToDocument(t, { method: 'GET', ...one }, as(admin.token, 200))
  await holdsToDocument(
    t,
    { method: 'PUT', ...one },
    as(admin.token, 200, { ...newUser, name: 'G' }),
  )
  await holdsToDocument(t, { method: 'GET', path: '/api/users?per_page=2' }, as(admin.token, 200))
  await holdsToDocument(t, { method: 'GET', path: '/api/users?page=0' }, as(admin.token, 422))

  const log = await holdsToDocument(
    t,
    { method: 'GET', path: '/api/activity-log' },
    as(admin.token, 200),
  )
  t.deepEqual(
    log.data.map((entry: { event: string }) => entry.event),
    ['user.updated', 'user.created', 'token.created'],
  )

  await insertBatch(clickhouse, { table: 'usage', columns: usageColumns }, 'c'.repeat(32), [
    {
      user_id: admin.user.id,
      metric: 'encoding_cpu',
      external_user_id: 'cust-1',
      date: '2028-02-29',
      value: '0.6',
      events: 2,
    },
  ])
  const range = 'from=2028-02-28&to=2028-03-01'
  const usage = await holdsToDocument(
    t,
    { method: 'GET', path: `/api/usage?${range}` },
    as(admin.token, 200),
  )
  t.is(usage.data.length, 1)
  const report = await holdsToDocument(
    t,
    { method: 'GET', path: `/api/analytics?${range}` },
    as(admin.token, 200),
  )
  t.is(report.data.daily.length, 3)

  const events = { method: 'POST', path: '/api/events' }
  const upload = { event_id: 'up-1', type: 'usage', user_id: admin.user.id, metric: 'upload_bytes' }
  const batch = {
    events: [
      { ...upload, value: 5 },
      { event_id: 'bad', type: 'usage' },
    ],
  }
  const ingested = await holdsToDocument(t, events, as(signedIn.data.token, 202, batch))
  t.deepEqual([ingested.data.accepted, ingested.data.rejected[0].index], [1, 1])
  t.is(batches.length, 1)
  await holdsToDocument(t, events, as(admin.token, 403, batch))

  await holdsToDocument(t, { method: 'DELETE', ...one }, as(admin.token, 204))
  await holdsToDocument(t, { method: 'GET', ...one }, as(admin.token, 404))
  const current = { method: 'DELETE', path: '/api/auth/tokens/current' }
  await holdsToDocument(t, current, as(plain.token, 204))
  await holdsToDocument(t, { method: 'GET', path: '/healthz' }, { status: 200 })
})
