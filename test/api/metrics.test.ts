import test from 'ava'
import { createToken } from '../../src/accounts/tokens.js'
import { type AccountsRig, startAccountsApi } from '../fixtures/accounts-api.js'
import { userWithToken } from '../fixtures/api.js'
import { parseExposition } from '../fixtures/metrics.js'

let rig: AccountsRig

test.before(async () => {
  rig = await startAccountsApi()
})

test.after.always(async () => {
  await rig?.close()
})

async function scrape(token: string | undefined) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  const response = await fetch(`${rig.api.url}/metrics`, { headers })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

async function abilityToken(ability: string, isAdmin = true) {
  const owner = await userWithToken(rig.postgres.db, `${ability}-owner`, isAdmin)
  const { plainText } = await createToken(rig.postgres.db, owner.user, ability, {
    abilities: [ability],
  })
  return { owner, token: plainText }
}

test.serial('metrics are for admins and for tokens with the metrics ability only', async (t) => {
  const member = await userWithToken(rig.postgres.db, 'member')
  const ingest = await abilityToken('ingest')
  const scraper = await abilityToken('metrics')

  const anonymous = await scrape(undefined)
  t.is(anonymous.status, 401)
  t.is(anonymous.headers.get('www-authenticate'), 'Bearer')
  t.is((await scrape(member.token)).status, 403)
  t.is((await scrape(ingest.token)).status, 403)
  const byAdmin = await scrape(rig.admin.token)
  t.is(byAdmin.status, 200)
  t.regex(byAdmin.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  t.is((await scrape(scraper.token)).status, 200)

  // A scraper's token reads metrics and nothing else.
  t.is((await rig.call('GET', '/api/users', { token: scraper.token })).status, 403)
  const send = await rig.call('POST', '/api/events', { token: scraper.token, body: {} })
  t.is(send.status, 403)

  // Granted to admins only, and lost with the admin rights.
  await rig.postgres.db.User.update({ is_admin: false }, { where: { id: scraper.owner.user.id } })
  t.is((await scrape(scraper.token)).status, 403)
})

test.serial('only an admin may ask for a metrics token', async (t) => {
  const member = await userWithToken(rig.postgres.db, 'asker')
  const body = {
    email: member.user.email,
    password: 'correct-horse-battery',
    abilities: ['metrics'],
  }

  t.is((await rig.call('POST', '/api/auth/tokens', { body })).status, 403)
  const admin = { ...body, email: rig.admin.user.email }
  const granted = await rig.call('POST', '/api/auth/tokens', { body: admin })
  t.is(granted.status, 201)
  t.deepEqual(granted.body.data.abilities, ['metrics'])
  t.is((await scrape(granted.body.data.token)).status, 200)
})

test.serial('requests are counted by route pattern and status, never by raw path', async (t) => {
  const token = rig.admin.token
  const { user } = await userWithToken(rig.postgres.db, 'listed')
  await rig.call('GET', '/api/users/987654', { token })
  await rig.call('GET', '/api/users/987655', { token })
  await rig.call('GET', `/api/users/${user.id}`, { token })
  await rig.call('GET', '/api/users/1', {})
  await rig.call('GET', '/no/such/path-4242', {})

  const { text } = await scrape(token)
  const samples = parseExposition(text)
  const requests = (route: string, status: number) =>
    samples.get(`http_requests_total{method="GET",route="${route}",status="${status}"}`)

  t.is(requests('/api/users/:id', 404), 2)
  t.is(requests('/api/users/:id', 200), 1)
  t.is(requests('/api/users/:id', 401), 1, 'named although authentication refused it')
  t.is(requests('unmatched', 404), 1)
  t.is(
    samples.get(
      'http_request_duration_seconds_count{method="GET",route="/api/users/:id",status="404"}',
    ),
    2,
  )
  t.notRegex(text, /987654|path-4242/)
})

test.serial('queue figures are read from Redis when scraped', async (t) => {
  const { metering, deadLetters } = rig.api.queues
  const hourAgo = Date.now() - 3_600_000
  await metering.add('event', { event_id: 'oldest' }, { timestamp: hourAgo })
  await metering.add('event', { event_id: 'w-2' })
  await metering.add('event', { event_id: 'w-3' })
  await metering.add('event', { event_id: 'd-1' }, { delay: 3_600_000 })
  await metering.add('event', { event_id: 'd-2' }, { delay: 3_600_000 })
  for (const n of [1, 2, 3, 4]) await deadLetters.add('rejected', { reason: `r-${n}` })

  const samples = parseExposition((await scrape(rig.admin.token)).text)
  const jobs = (state: string) =>
    samples.get(`metering_queue_jobs{queue="metering",state="${state}"}`)

  t.is(samples.get('metering_queue_up'), 1)
  t.is(jobs('waiting'), 3)
  t.is(jobs('delayed'), 2)
  t.is(jobs('failed'), 0)
  t.is(samples.get('metering_dead_letters{queue="metering"}'), 4)
  const age = samples.get('metering_oldest_waiting_job_age_seconds{queue="metering"}') ?? 0
  t.true(age >= 3_600 && age < 4_200, `oldest waiting job is ${age} s old`)
  t.true(samples.has('process_resident_memory_bytes'), 'process metrics too')
})
