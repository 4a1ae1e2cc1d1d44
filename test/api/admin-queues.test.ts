import test from 'ava'
import { AdminSessions } from '../../api/admin/sessions.js'
import { hashPassword } from '../../src/accounts/passwords.js'
import { createToken } from '../../src/accounts/tokens.js'
import { type AccountsRig, startAccountsApi } from '../fixtures/accounts-api.js'
import { TEST_SESSION_SECRET, userWithToken } from '../fixtures/api.js'
import { sampleOf } from '../fixtures/metrics.js'

const password = 'correct-horse-battery'
const page = '/admin/queues'
const api = '/admin/queues/api/queues'
let rig: AccountsRig
let origin: string

test.before(async () => {
  rig = await startAccountsApi()
  origin = rig.api.url
})

test.after.always(async () => {
  await rig?.close()
})

interface Credentials {
  token?: string
  cookie?: string
  headers?: Record<string, string>
}

function request(method: string, path: string, who: Credentials = {}) {
  const headers: Record<string, string> = { ...who.headers }
  if (who.token) headers.authorization = `Bearer ${who.token}`
  if (who.cookie) headers.cookie = who.cookie
  return fetch(origin + path, { method, headers, redirect: 'manual' })
}

/** Posts the sign-in form as a browser on this origin would; the cookie it set, if any. */
async function signIn(email: string, pass = password, fields: Record<string, string> = {}) {
  const form = new URLSearchParams({ email, password: pass, ...fields })
  const response = await fetch(`${origin}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: form,
    redirect: 'manual',
  })
  const setCookie = response.headers.get('set-cookie') ?? ''
  const cookie = /^(nukevideo_admin=[^;]+)/.exec(setCookie)?.[1]
  return { response, setCookie, cookie }
}

/** An admin signed in through the form: the user, and the cookie alone as credentials. */
async function adminCookie() {
  const { user } = await userWithToken(rig.postgres.db, 'board-admin', true)
  const { cookie } = await signIn(user.email)
  if (!cookie) throw new Error('the admin could not sign in')
  return { user, cookie }
}

/** A delayed job in the web's metering queue, for the board's promote action. */
async function delayedJob(): Promise<string> {
  const job = await rig.api.queues.metering.add(
    'event',
    { event_id: 'later' },
    { delay: 3_600_000 },
  )
  return job.id as string
}

interface BoardQueues {
  queues: { name: string; jobs: { name: string }[] }[]
}

const promote = (jobId: string) => `/admin/queues/api/queues/metering/${jobId}/promote`
const stateOf = (jobId: string) => rig.api.queues.metering.getJobState(jobId)

test('anonymous visitors are sent to sign in for pages and refused everywhere else', async (t) => {
  const jobId = await delayedJob()

  const toPage = await request('GET', page)
  t.is(toPage.status, 303)
  t.is(toPage.headers.get('location'), '/admin/login?next=%2Fadmin%2Fqueues')
  t.is((await request('GET', api)).status, 401)
  t.is((await request('GET', '/admin/queues/static/favicon-32x32.png')).status, 401)
  t.is((await request('PUT', promote(jobId), { headers: { origin } })).status, 401)
  t.is(await stateOf(jobId), 'delayed')
})

test('with bearer tokens an admin may use the board, a member or ingest token not', async (t) => {
  const member = await userWithToken(rig.postgres.db, 'board-member')
  const ingest = await createToken(rig.postgres.db, rig.admin.user, 'edge', {
    abilities: ['ingest'],
  })
  const refused = [member.token, ingest.plainText]
  const jobId = await delayedJob()

  for (const token of refused) {
    t.is((await request('GET', page, { token })).status, 403)
    t.is((await request('GET', api, { token })).status, 403)
    t.is((await request('PUT', promote(jobId), { token })).status, 403)
  }
  t.is(await stateOf(jobId), 'delayed')

  const admin = { token: rig.admin.token }
  t.is((await request('GET', page, admin)).status, 200)
  const queues = (await (await request('GET', api, admin)).json()) as BoardQueues
  t.deepEqual(
    queues.queues.map((queue) => queue.name),
    ['metering', 'metering-dead-letter'],
  )
  // No browser sends a bearer token on its own, so no Origin is asked of a script.
  t.is((await request('PUT', promote(jobId), admin)).status, 204)
  t.is(await stateOf(jobId), 'waiting')
  const promoted = await sampleOf(rig.api.metrics, 'http_requests_total', {
    method: 'PUT',
    route: '/admin/queues/api/queues/:queueName/:jobId/promote',
    status: '204',
  })
  t.true((promoted ?? 0) >= 1, 'counted by the pattern, never by the job id')
})

test('an admin signs in with the form and gets a strict, HttpOnly cookie', async (t) => {
  const admin = await userWithToken(rig.postgres.db, 'signer', true)

  const { response, setCookie, cookie } = await signIn(admin.user.email, password, {
    next: '/admin/queues/queue/metering-dead-letter',
  })

  t.is(response.status, 303)
  t.is(response.headers.get('location'), '/admin/queues/queue/metering-dead-letter')
  t.truthy(cookie)
  t.regex(setCookie, /; path=\/admin;/)
  t.regex(setCookie, /; samesite=strict/)
  t.regex(setCookie, /; httponly/)
  t.notRegex(setCookie, /; secure/, 'not over plain http')
  const board = await request('GET', page, { cookie })
  t.is(board.status, 200)
  t.is(board.headers.get('x-frame-options'), 'DENY')
  t.is(board.headers.get('cache-control'), 'no-store')
  t.is((await request('GET', api, { cookie })).status, 200)
})

test('behind an https proxy the cookie is Secure', async (t) => {
  const admin = await userWithToken(rig.postgres.db, 'proxied', true)
  const form = new URLSearchParams({ email: admin.user.email, password })
  const response = await fetch(`${origin}/admin/login`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-proto': 'https',
      origin: origin.replace('http:', 'https:'),
    },
    body: form,
    redirect: 'manual',
  })

  t.is(response.status, 303)
  t.regex(response.headers.get('set-cookie') ?? '', /; secure/)
})

test('a session cookie changes queues only from a page of this origin', async (t) => {
  const { cookie } = await adminCookie()
  const crossSite = await delayedJob()
  const noOrigin = await delayedJob()
  const fetchSite = await delayedJob()
  const sameSite = await delayedJob()

  const from = (headers: Record<string, string>) => ({ cookie, headers })
  t.is(
    (await request('PUT', promote(crossSite), from({ origin: 'https://evil.example' }))).status,
    403,
  )
  t.is((await request('PUT', promote(noOrigin), from({}))).status, 403)
  const crossFetch = from({ 'sec-fetch-site': 'cross-site' })
  t.is((await request('PUT', promote(fetchSite), crossFetch)).status, 403)
  for (const jobId of [crossSite, noOrigin, fetchSite]) t.is(await stateOf(jobId), 'delayed')

  t.is((await request('PUT', promote(sameSite), from({ origin }))).status, 204)
  t.is(await stateOf(sameSite), 'waiting')
  const viaFetchSite = from({ 'sec-fetch-site': 'same-origin' })
  t.is((await request('PUT', promote(fetchSite), viaFetchSite)).status, 204)
})

test('only admins sign in, with the right password, from this origin', async (t) => {
  const member = await userWithToken(rig.postgres.db, 'not-admin')
  const admin = await userWithToken(rig.postgres.db, 'typo', true)

  const asMember = await signIn(member.user.email)
  t.is(asMember.response.status, 403)
  t.is(asMember.cookie, undefined)
  t.regex(await asMember.response.text(), /Only admins may open the queue dashboard/)

  const wrong = await signIn(admin.user.email, 'not-the-password')
  t.is(wrong.response.status, 422)
  t.is(wrong.cookie, undefined)

  const form = new URLSearchParams({ email: admin.user.email, password })
  const elsewhere = await fetch(`${origin}/admin/login`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: 'https://evil.example',
    },
    body: form,
    redirect: 'manual',
  })
  t.is(elsewhere.status, 403)
  t.is(elsewhere.headers.get('set-cookie'), null)
})

test('after signing in, only a path inside the dashboard is followed', async (t) => {
  const admin = await userWithToken(rig.postgres.db, 'redirected', true)

  for (const next of ['https://evil.example/', '//evil.example/admin/queues', '/api/users']) {
    const { response } = await signIn(admin.user.email, password, { next })
    t.is(response.headers.get('location'), '/admin/queues', next)
  }
})

test('a session ends with the admin rights, the account or the password', async (t) => {
  const demoted = await adminCookie()
  await rig.postgres.db.User.update({ is_admin: false }, { where: { id: demoted.user.id } })
  t.is((await request('GET', api, demoted)).status, 403)
  t.is((await request('GET', page, demoted)).status, 403)

  const deleted = await adminCookie()
  await deleted.user.destroy()
  t.is((await request('GET', api, deleted)).status, 401)

  const rekeyed = await adminCookie()
  const password_hash = await hashPassword('a-brand-new-password')
  await rig.postgres.db.User.update({ password_hash }, { where: { id: rekeyed.user.id } })
  t.is((await request('GET', api, rekeyed)).status, 401)
})

test('an expired, altered or foreign cookie is no session', async (t) => {
  const { user, cookie } = await adminCookie()
  const sessions = new AdminSessions(TEST_SESSION_SECRET, 60)
  const expired = sessions.issue(user, Date.now() - 61 * 60_000)
  const foreign = new AdminSessions('another-secret-of-32-characters-x', 60).issue(user)
  const value = (cookie as string).split('=')[1] as string
  const altered = value.replace(/\.(\d+)\./, (_, expiry) => `.${Number(expiry) + 86_400}.`)

  for (const forged of [expired, foreign, altered]) {
    t.is((await request('GET', api, { cookie: `nukevideo_admin=${forged}` })).status, 401)
  }
  t.is((await request('GET', api, { cookie })).status, 200)
})

test('signing out forgets the cookie and goes back to the form', async (t) => {
  const response = await request('GET', '/admin/logout')

  t.is(response.status, 303)
  t.is(response.headers.get('location'), '/admin/login')
  t.regex(response.headers.get('set-cookie') ?? '', /^nukevideo_admin=;.*expires=Thu, 01 Jan 1970/)
})

test('dead letters are listed with the reason they were refused', async (t) => {
  const reason = 'value: must be a whole number of bytes'
  await rig.api.queues.deadLetters.add('rejected', {
    event: { event_id: 'refused-1' },
    errors: { value: ['must be a whole number of bytes'] },
    reason,
  })

  const query = '?activeQueue=metering-dead-letter&status=waiting&page=1&jobsPerPage=10'
  const reply = await request('GET', api + query, { token: rig.admin.token })
  const answer = (await reply.json()) as BoardQueues
  const letters = answer.queues.find((queue) => queue.name === 'metering-dead-letter')

  t.true(letters?.jobs.some((job) => job.name === `rejected: ${reason}`))
})
