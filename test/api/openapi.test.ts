import test from 'ava'
import { Registry } from 'prom-client'
import { createApp } from '../../api/app.js'
import { createUserBody, updateUserBody } from '../../api/routes/users.js'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import type { EventQueue } from '../../src/ingest/ingest-events.js'
import { EVENT_TYPES, MAX_BATCH_EVENTS } from '../../src/metering/event-schema.js'
import { usageQuerySchema } from '../../src/usage/usage-query.js'
import { fieldErrors } from '../../src/validation.js'
import { type ApiRig, getJson, startApi } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'
import { type FreshDatabase, freshDatabase } from '../fixtures/postgres.js'

// biome-ignore lint/suspicious/noExplicitAny: the test walks the document freely
type Doc = Record<string, any>

let postgres: FreshDatabase
let clickhouse: ClickHouse
let api: ApiRig
let doc: Doc
/** The document does not depend on the queue: nothing here is enqueued. */
const idleQueue: EventQueue = {
  record: async () => 'event-job',
  recordBatch: async () => 'batch-job',
}

test.before(async () => {
  postgres = await freshDatabase()
  clickhouse = await freshClickHouse()
  api = await startApi(postgres.db, clickhouse, { events: idleQueue })
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
    events: idleQueue,
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
