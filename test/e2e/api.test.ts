import { setTimeout as sleep } from 'node:timers/promises'
import test from 'ava'
import { QueryTypes } from 'sequelize'
import { callJson, type Reply } from '../fixtures/api.js'
import { type RunningProcess, startProcess } from '../fixtures/processes.js'
import { Stack, type Tenant } from '../fixtures/stack.js'
import {
  harbourEntry,
  platformReport,
  umaReport,
  umaUsage,
  uploaded,
} from '../fixtures/traffic-figures.js'
import {
  type Billed,
  httpBatch,
  QUEUED_JOBS,
  RANGE,
  sendThroughQueue,
  T2,
  T4,
} from '../fixtures/traffic-scenario.js'

const bootstrap = { email: 'ops@example.com', password: 'bootstrap-secret-1' }
const password = 'user-long-password'

let stack: Stack
let tenant: Tenant
let processes: RunningProcess[] = []

/** What the scenario learns as it goes, for the steps after it. */
const seen = {
  adminToken: '',
  adminTokenId: 0,
  ingestToken: '',
  ingestTokenId: 0,
  umaToken: '',
  umaTokenId: 0,
  signedInAt: 0,
  billed: { uma: 0, vic: 0 } as Billed,
  emails: { uma: '', vic: '' },
}

// The two processes run in different zones, neither of them UTC: days must
// come from the events' UTC instants alone.
test.before(async () => {
  stack = await Stack.start()
  tenant = await stack.tenant()
  const worker = { ...tenant.env, TZ: 'Asia/Shanghai' }
  const web = { ...tenant.env, TZ: 'America/Los_Angeles', ADMIN_EMAIL: bootstrap.email }
  processes.push(await startProcess('workers/metering/main.ts', worker, 'consuming'))
  processes.push(
    await startProcess('api/main.ts', { ...web, ADMIN_PASSWORD: bootstrap.password }, 'listening'),
  )
})

test.after.always(async () => {
  for (const running of processes) await running.stop()
  processes = []
  await tenant?.close()
  await stack?.close()
})

const call = (method: string, path: string, options: { token?: string; body?: unknown } = {}) =>
  callJson(tenant.baseUrl, method, path, options)

/** Reads until `done` holds; generous, as the machine is shared. */
async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean) {
  const deadline = Date.now() + 60_000
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`)
    await sleep(100)
  }
}

const range = `from=${RANGE.from}&to=${RANGE.to}`

test.serial('the bootstrap admin signs in, creates two users, and one signs in', async (t) => {
  const admin = await call('POST', '/api/auth/tokens', {
    body: { ...bootstrap, name: 'console' },
  })
  const ingest = await call('POST', '/api/auth/tokens', {
    body: { ...bootstrap, name: 'edge-shipper', abilities: ['ingest'] },
  })
  t.is(admin.status, 201)
  t.is(ingest.status, 201)
  t.like(admin.body.data, { name: 'console', abilities: [], user: { is_admin: true } })
  t.like(ingest.body.data, { name: 'edge-shipper', abilities: ['ingest'] })
  seen.adminToken = admin.body.data.token
  seen.adminTokenId = admin.body.data.token_id
  seen.ingestToken = ingest.body.data.token
  seen.ingestTokenId = ingest.body.data.token_id

  for (const name of ['uma', 'vic'] as const) {
    const email = `${name}@example.com`
    const created = await call('POST', '/api/users', {
      token: seen.adminToken,
      body: { name, email, password, is_admin: false },
    })
    t.is(created.status, 201)
    t.like(created.body.data, { name, email, is_admin: false })
    seen.billed[name] = created.body.data.id
    seen.emails[name] = email
  }

  const credentials = { email: seen.emails.uma, password }
  const refused = await call('POST', '/api/auth/tokens', {
    body: { ...credentials, abilities: ['ingest'] },
  })
  seen.signedInAt = Date.now()
  const uma = await call('POST', '/api/auth/tokens', {
    body: { ...credentials, name: 'uma-laptop' },
  })
  t.is(refused.status, 403, 'only admins may ask for the ingest ability')
  t.is(uma.status, 201)
  seen.umaToken = uma.body.data.token
  seen.umaTokenId = uma.body.data.token_id
  const me = await call('GET', '/api/auth/me', { token: seen.umaToken })
  t.is(me.status, 200)
  t.like(me.body.data, { id: seen.billed.uma, name: 'uma', is_admin: false })
})

test.serial('events through BullMQ and POST /api/events each count once', async (t) => {
  await sendThroughQueue(tenant.producer, seen.billed)
  const posted = await call('POST', '/api/events', {
    token: seen.ingestToken,
    body: httpBatch(seen.billed),
  })

  t.is(posted.status, 202)
  t.deepEqual(posted.body, {
    data: {
      accepted: 7,
      rejected: [
        { index: 2, event_id: 'bw-bad', errors: { ip: ['must be an IPv4 or IPv6 address'] } },
      ],
    },
  })
  const jobs = await until(
    'jobs settled',
    () => tenant.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed'),
    (counts) => (counts.completed ?? 0) + (counts.failed ?? 0) === QUEUED_JOBS + 1,
  )
  t.deepEqual(jobs, { waiting: 0, active: 0, delayed: 0, completed: QUEUED_JOBS + 1, failed: 0 })

  // Visible over HTTP: Uma's five usage events and three activity entries.
  const usageEvents = await until(
    'usage visible',
    () => call('GET', `/api/usage?${range}`, { token: seen.umaToken }),
    (reply) => sumEvents(reply) >= 5,
  )
  t.is(sumEvents(usageEvents), 5)
  await until(
    'activity visible',
    () => call('GET', '/api/activity-log', { token: seen.umaToken }),
    (reply) => reply.body?.meta?.total >= 4,
  )
})

function sumEvents(reply: Reply): number {
  const rows: { events: number }[] = reply.body?.data ?? []
  return rows.reduce((total, row) => total + row.events, 0)
}

test.serial('analytics: exact totals, every day, top lists, per user; admins only', async (t) => {
  const all = await call('GET', `/api/analytics?${range}`, { token: seen.adminToken })
  const uma = await call('GET', `/api/analytics?${range}&user_id=${seen.billed.uma}`, {
    token: seen.adminToken,
  })
  const asUma = await call('GET', `/api/analytics?${range}`, { token: seen.umaToken })

  t.is(all.status, 200)
  t.deepEqual(all.body.data, platformReport())
  t.is(uma.status, 200)
  t.deepEqual(uma.body.data, umaReport(seen.billed.uma))
  t.is(asUma.status, 403)
})

/** Entries without their ids, which only need to be numbers. */
function entriesOf(reply: Reply): Record<string, unknown>[] {
  return reply.body.data.map(({ id, ...entry }: { id: unknown }) => {
    if (typeof id !== 'number') throw new Error(`entry id ${String(id)}`)
    return entry
  })
}

test.serial(
  'activity log: the user sees their events newest first, the admin theirs',
  async (t) => {
    const mine = await call('GET', '/api/activity-log', { token: seen.umaToken })
    const oneDay = await call('GET', '/api/activity-log?from=2025-10-31&to=2025-10-31', {
      token: seen.umaToken,
    })
    const admin = await call('GET', '/api/activity-log', { token: seen.adminToken })

    t.is(mine.status, 200)
    const [signIn, ...events] = entriesOf(mine)
    t.like(signIn, {
      event: 'token.created',
      subject_type: 'api_token',
      subject_id: String(seen.umaTokenId),
      properties: { name: 'uma-laptop', abilities: [] },
    })
    t.true(Math.abs(Date.parse(String(signIn?.created_at)) - seen.signedInAt) < 60_000)
    t.deepEqual(events, [
      harbourEntry('video.shared', 'Shared "Harbour at dusk" with a link', T4),
      harbourEntry('video.encoded', 'Encoded "Harbour at dusk" to 1080p', T2, {
        renditions: ['1080p'],
      }),
      uploaded,
    ])
    t.deepEqual(mine.body.meta, { current_page: 1, last_page: 1, per_page: 15, total: 4 })
    t.deepEqual(entriesOf(oneDay), [uploaded])

    t.is(admin.status, 200)
    t.deepEqual(withoutTimes(entriesOf(admin)), adminHistory())
  },
)

/** Entries without `created_at`, after checking it runs newest first. */
function withoutTimes(entries: Record<string, unknown>[]) {
  const times = entries.map((entry) => Date.parse(String(entry.created_at)))
  times.forEach((time, n) => {
    if (!(time <= (times[n - 1] ?? time))) throw new Error(`entry ${n} is not newest first`)
  })
  return entries.map(({ created_at, ...entry }) => entry)
}

/** What the admin did from signing in to creating Vic, newest first. */
function adminHistory() {
  const userCreated = (name: 'uma' | 'vic') => ({
    event: 'user.created',
    description: `Created user ${seen.emails[name]}`,
    subject_type: 'user',
    subject_id: String(seen.billed[name]),
    properties: { name, email: seen.emails[name], is_admin: false },
  })
  const tokenCreated = (name: string, id: number, abilities: string[]) => ({
    event: 'token.created',
    description: `Created API token "${name}"`,
    subject_type: 'api_token',
    subject_id: String(id),
    properties: { name, abilities },
  })
  return [
    userCreated('vic'),
    userCreated('uma'),
    tokenCreated('edge-shipper', seen.ingestTokenId, ['ingest']),
    tokenCreated('console', seen.adminTokenId, []),
  ]
}

test.serial('usage: the user reads their own rows, exact, by date', async (t) => {
  const usage = await call('GET', `/api/usage?${range}`, { token: seen.umaToken })

  t.is(usage.status, 200)
  t.deepEqual(usage.body, { data: umaUsage() })
})

test.serial('a deleted user loses their token and keeps their history', async (t) => {
  const uma = seen.billed.uma
  const deleted = await call('DELETE', `/api/users/${uma}`, { token: seen.adminToken })

  t.is(deleted.status, 204)
  t.is((await call('GET', '/api/auth/me', { token: seen.umaToken })).status, 401)
  t.is((await call('GET', `/api/usage?${range}`, { token: seen.umaToken })).status, 401)
  t.is((await call('GET', `/api/users/${uma}`, { token: seen.adminToken })).status, 404)

  const analytics = await call('GET', `/api/analytics?${range}&user_id=${uma}`, {
    token: seen.adminToken,
  })
  t.is(analytics.status, 200)
  t.deepEqual(analytics.body.data, umaReport(uma))

  const kept = await stack.postgres.db.sequelize.query<{ event: string }>(
    'SELECT event FROM activity_log WHERE user_id = $1 ORDER BY created_at DESC, id DESC',
    { bind: [uma], type: QueryTypes.SELECT },
  )
  t.deepEqual(
    kept.map((entry) => entry.event),
    ['token.created', 'video.shared', 'video.encoded', 'video.uploaded'],
  )

  const admin = await call('GET', '/api/activity-log', { token: seen.adminToken })
  t.deepEqual(withoutTimes(entriesOf(admin)), [
    {
      event: 'user.deleted',
      description: `Deleted user ${seen.emails.uma}`,
      subject_type: 'user',
      subject_id: String(uma),
      properties: { email: seen.emails.uma, tokens_revoked: 1 },
    },
    ...adminHistory(),
  ])
})
