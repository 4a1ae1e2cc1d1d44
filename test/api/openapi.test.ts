import test, { type ExecutionContext } from 'ava'
import { Registry } from 'prom-client'
import { createApp } from '../../api/app.js'
import { createUserBody, updateUserBody } from '../../api/routes/users.js'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import type { EventQueue } from '../../src/ingest/ingest-events.js'
import { EVENT_TYPES, type EventInput, MAX_BATCH_EVENTS } from '../../src/metering/event-schema.js'
import { usageColumns } from '../../src/metering/usage-rows.js'
import { usageQuerySchema } from '../../src/usage/usage-query.js'
import { fieldErrors } from '../../src/validation.js'
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

/**
 * Every `METHOD /path` the app's Koa routers answer, path parameters written
 * `{id}`. The queue dashboard under `/admin` (a sign-in form and Bull Board)
 * is for browsers, mounted as one middleware, and outside the document.
 */
function appRoutes(): string[] {
  const app = createApp({
    config: {
      http: { bodyLimit: '1mb' },
      adminSession: { secret: 'x'.repeat(32), ttlMinutes: 60 },
    },
    log: { debug: () => undefined } as never,
    db: postgres.db,
    clickhouse,
    events: recordingQueue,
    // Only the routers are read here; no request reaches Redis.
    redis: {} as never,
    queues: api.queues,
    metrics: new Registry(),
  })
  const routes = new Set<string>()
  for (const middleware of app.middleware) {
    const router = (middleware as { router?: { stack: { path: string; methods: string[] }[] } })
      .router
    for (const layer of router?.stack ?? []) {
      for (const method of layer.methods.filter((m) => m !== 'HEAD')) {
        routes.add(`${method} ${layer.path.replace(/:(\w+)/g, '{$1}')}`)
      }
    }
  }
  return [...routes].sort()
}

function documentedRoutes(): string[] {
  return Object.entries(doc.paths as Doc)
    .flatMap(([path, operations]) =>
      Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`),
    )
    .sort()
}

function allRefs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(allRefs)
  if (typeof node !== 'object' || node === null) return []
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [value] : allRefs(value),
  )
}

test('the document is served without a token as OpenAPI 3.1 with a bearer scheme', async (t) => {
  const served = await getJson(`${api.url}/api/openapi.json`)

  t.is(served.status, 200)
  t.is(doc.openapi, '3.1.0')
  t.is(doc.info.title, 'NukeVideo Metering API')
  t.deepEqual(doc.components.securitySchemes.bearer, {
    type: 'http',
    scheme: 'bearer',
    description: doc.components.securitySchemes.bearer.description,
  })
  t.deepEqual(doc.security, [{ bearer: [] }])
  t.deepEqual(doc.paths['/healthz'].get.security, [])
  t.deepEqual(doc.paths['/api/openapi.json'].get.security, [])
  t.deepEqual(doc.paths['/api/auth/tokens'].post.security, [])
  t.is(doc.paths['/api/usage'].get.security, undefined)
})

test('every route of the app is documented, and nothing else', (t) => {
  const routes = appRoutes()

  t.is(routes.length, 16)
  t.deepEqual(documentedRoutes(), routes)
})

test('every $ref points into the document', (t) => {
  const refs = allRefs(doc)

  t.true(refs.length > 30)
  for (const target of new Set(refs)) {
    const [, section, name] = /^#\/components\/(schemas|responses)\/(\w+)$/.exec(target) ?? []
    t.truthy(section && name && doc.components[section][name], target)
  }
})

test('POST /api/users requires exactly what createUserBody requires, PUT all but password', (t) => {
  const requiredBy = (schema: typeof createUserBody | typeof updateUserBody) => {
    const parsed = schema.safeParse({})
    const errors = parsed.success ? {} : fieldErrors(parsed.error)
    return Object.keys(errors)
      .filter((field) => errors[field]?.includes('is required'))
      .sort()
  }
  const bodyOf = (method: 'post' | 'put', path: string) =>
    doc.paths[path][method].requestBody.content['application/json'].schema

  const create = bodyOf('post', '/api/users')
  const update = bodyOf('put', '/api/users/{id}')

  t.deepEqual(requiredBy(createUserBody), ['email', 'is_admin', 'name', 'password'])
  t.deepEqual([...create.required].sort(), requiredBy(createUserBody))
  t.deepEqual([...update.required].sort(), requiredBy(updateUserBody))
  t.deepEqual([...update.required].sort(), ['email', 'is_admin', 'name'])
  t.is(create.additionalProperties, false)
  t.is(create.properties.email.format, 'email')
  t.is(create.properties.password.minLength, 8)
})

test('the query parameters of GET /api/usage are the keys of usageQuerySchema', (t) => {
  const parameters = doc.paths['/api/usage'].get.parameters as Doc[]

  t.deepEqual(
    parameters.map((p) => p.name),
    Object.keys(usageQuerySchema.shape),
  )
  t.deepEqual(
    parameters.map((p) => [p.name, p.in, p.required]),
    [
      ['from', 'query', true],
      ['to', 'query', true],
      ['metric', 'query', false],
      ['external_user_id', 'query', false],
    ],
  )
  t.true(parameters.every((p) => typeof p.description === 'string' && p.description.length > 0))
  t.is(parameters[0]?.schema.format, 'date')
  t.deepEqual(parameters[2]?.schema.enum, ['upload_bytes', 'encoding_cpu', 'encoding_gpu'])
})

test('the event schema offers the three types, alone or in a batch', (t) => {
  const branches = doc.components.schemas.Event.oneOf as Doc[]
  const body = doc.paths['/api/events'].post.requestBody.content['application/json'].schema

  t.deepEqual(
    branches.map((branch) => branch.properties.type.const),
    [...EVENT_TYPES],
  )
  t.deepEqual(body.oneOf[0], { $ref: '#/components/schemas/Event' })
  const ulid = new RegExp(branches[1]?.properties.video_ulid.pattern)
  t.true(ulid.test('01hzx3k8q9v2w7m4n6p5r0s1t2'), 'a ULID in either case, as the schema takes it')
  t.false(ulid.test('01HZX3K8Q9V2W7M4N6P5R0S1Tu'))
  t.is(body.oneOf[1].properties.events.maxItems, MAX_BATCH_EVENTS)
  t.regex(doc.paths['/api/events'].post.description, /ingest/)
  t.regex(doc.components.responses.Error413.description, /BODY_LIMIT, here 1mb/)
  t.deepEqual(Object.keys(doc.components.responses.Error503.headers), ['Retry-After'])
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
