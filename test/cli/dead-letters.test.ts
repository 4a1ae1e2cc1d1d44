import test from 'ava'
import { newUlid } from '../../src/accounts/ulid.js'
import { replayJob, replayJobId } from '../../src/cli/dead-letter-replay.js'
import type { DeadLetter } from '../../src/metering/queues.js'
import { cli } from '../fixtures/cli.js'
import { drained, meterSuite, usageOf } from '../fixtures/metering.js'

const suite = meterSuite(test)

/** The command line on the meter's queues (and its PostgreSQL, which these commands never open). */
const env = () => ({ QUEUE_PREFIX: suite.meter.prefix, DATABASE_URL: suite.postgres.url })

let nextUserId = 900_001

/** An id no user has yet: events for it are refused until `createUserWithId`. */
function unknownUserId(): number {
  nextUserId += 1
  return nextUserId
}

async function createUserWithId(id: number): Promise<void> {
  await suite.postgres.db.User.create({
    id,
    ulid: newUlid(),
    name: `late ${id}`,
    email: `late-${id}@example.com`,
    password_hash: 'not used',
  })
}

async function parked(): Promise<{ id: string; letter: DeadLetter }[]> {
  const jobs = await suite.meter.deadLetters.getJobs(['waiting'], 0, -1, true)
  return jobs.map((job) => ({ id: String(job.id), letter: job.data as DeadLetter }))
}

function usage(userId: number, eventId: string, metric: string, value: string | number) {
  return {
    event_id: eventId,
    type: 'usage',
    user_id: userId,
    metric,
    value,
    occurred_at: '2026-05-01T10:00:00Z',
  }
}

test.serial('replay counts each refused event once, however often it runs', async (t) => {
  const userId = unknownUserId()
  const queue = suite.meter.queue
  // One event was sent twice, in two jobs: it must still count once.
  const twice = usage(userId, `cpu-a-${userId}`, 'encoding_cpu', 0.1)
  await queue.add('event', twice, { jobId: `first-${userId}` })
  await queue.add('event', twice, { jobId: `again-${userId}` })
  await queue.add('event', usage(userId, `bytes-${userId}`, 'upload_bytes', '9007199254740993'))
  await queue.add('batch', {
    events: [
      usage(userId, `cpu-b-${userId}`, 'encoding_cpu', 0.2),
      usage(userId, `cpu-c-${userId}`, 'encoding_cpu', '0.3'),
    ],
  })
  await drained(queue)
  t.is((await parked()).length, 5)
  t.deepEqual(await usageOf(suite.clickhouse, userId), {})

  await createUserWithId(userId)
  const first = await cli(['dead-letters', 'replay'], env())
  await drained(queue)
  const second = await cli(['dead-letters', 'replay'], env())
  await drained(queue)

  t.is(first.code, 0)
  t.is(first.stdout.split('\n').filter((line) => / as event job replay-/.test(line)).length, 5)
  t.true(first.stdout.endsWith('replayed 5, skipped 0, failed 0\n'))
  t.deepEqual(second, { code: 0, stdout: 'replayed 0, skipped 0, failed 0\n', stderr: '' })
  t.deepEqual(await parked(), [])
  t.deepEqual(await usageOf(suite.clickhouse, userId), {
    'encoding_cpu//2026-05-01': '0.6',
    'upload_bytes//2026-05-01': '9007199254740993',
  })
})

/** Enqueues a letter's replay job as an earlier run would have, and lets it run. */
async function replayedByEarlierRun(
  letter: Awaited<ReturnType<typeof parked>>[number] | undefined,
) {
  const job = replayJob(letter?.id ?? '', letter?.letter) as NonNullable<
    ReturnType<typeof replayJob>
  >
  await suite.meter.queue.add(job.name, job.data, job.opts)
  await drained(suite.meter.queue)
  return job
}

test.serial('a replay cut short after enqueueing is finished by the next run', async (t) => {
  const userId = unknownUserId()
  await suite.meter.queue.add('event', usage(userId, `cut-${userId}`, 'upload_bytes', 7))
  await drained(suite.meter.queue)
  const [letter] = await parked()
  await createUserWithId(userId)

  // The first run got as far as enqueueing, then died before removing the letter.
  const job = await replayedByEarlierRun(letter)
  const run = await cli(['dead-letters', 'replay'], env())
  await drained(suite.meter.queue)

  t.deepEqual(run, {
    code: 0,
    stdout:
      `skipped ${letter?.id}: already enqueued as ${job.opts.jobId} (completed)\n` +
      'replayed 0, skipped 1, failed 0\n',
    stderr: '',
  })
  t.deepEqual(await parked(), [])
  t.deepEqual(await usageOf(suite.clickhouse, userId), { 'upload_bytes//2026-05-01': '7' })
})

test.serial('a replay job gone from Redis is enqueued again and still counts once', async (t) => {
  const userId = unknownUserId()
  await suite.meter.queue.add('event', usage(userId, `gone-${userId}`, 'encoding_gpu', '1.25'))
  await drained(suite.meter.queue)
  const [letter] = await parked()
  await createUserWithId(userId)

  // Counted by an earlier run whose job has since been removed (completed jobs expire).
  const job = await replayedByEarlierRun(letter)
  await suite.meter.queue.remove(job.opts.jobId)
  const run = await cli(['dead-letters', 'replay'], env())
  await drained(suite.meter.queue)

  t.is(run.code, 0)
  t.true(run.stdout.endsWith('replayed 1, skipped 0, failed 0\n'))
  t.deepEqual(await usageOf(suite.clickhouse, userId), { 'encoding_gpu//2026-05-01': '1.25' })
})

test.serial(
  'an event without occurred_at counts on the day its first job was enqueued',
  async (t) => {
    const userId = unknownUserId()
    const enqueuedAt = Date.parse('2026-03-01T12:00:00Z')
    const event = {
      event_id: `day-${userId}`,
      type: 'usage',
      user_id: userId,
      metric: 'upload_bytes',
    }
    await suite.meter.queue.add('event', { ...event, value: 5 }, { timestamp: enqueuedAt })
    await drained(suite.meter.queue)
    const [letter] = await parked()
    await createUserWithId(userId)

    await cli(['dead-letters', 'replay'], env())
    await drained(suite.meter.queue)

    t.is(letter?.letter.source.enqueued_at, '2026-03-01T12:00:00.000Z')
    const replayed = await suite.meter.queue.getJob(replayJobId(letter?.id ?? ''))
    t.is(replayed?.timestamp, enqueuedAt)
    t.deepEqual(await usageOf(suite.clickhouse, userId), { 'upload_bytes//2026-03-01': '5' })
  },
)

test.serial('an event refused again goes back to the dead letters with its reason', async (t) => {
  const userId = unknownUserId()
  await suite.meter.queue.add('event', usage(userId, `still-${userId}`, 'upload_bytes', 1), {
    jobId: `still-${userId}`,
  })
  await drained(suite.meter.queue)

  const run = await cli(['dead-letters', 'replay'], env())
  await drained(suite.meter.queue)

  const replayId = replayJobId(`still-${userId}-job`)
  t.deepEqual(run, {
    code: 0,
    stdout:
      `replayed still-${userId}-job as event job ${replayId}\n` +
      'replayed 1, skipped 0, failed 0\n',
    stderr: '',
  })
  const now = await parked()
  t.deepEqual(
    now.map(({ id, letter }) => [id, letter.reason, letter.source.job_id]),
    [[`${replayId}-job`, 'user_id: no such user', replayId]],
  )
  await suite.meter.deadLetters.remove(`${replayId}-job`)
})

test.serial('a dry run changes nothing; a letter without an event fails the run', async (t) => {
  const userId = unknownUserId()
  const hollow = `hollow-${userId}`
  // One at a time, so the letters wait in this order.
  await suite.meter.queue.add('batch', { events: [] }, { jobId: `empty-${userId}` })
  await drained(suite.meter.queue)
  await suite.meter.queue.add('event', usage(userId, `dry-${userId}`, 'upload_bytes', 1), {
    jobId: `dry-${userId}`,
  })
  await drained(suite.meter.queue)
  await suite.meter.deadLetters.add('rejected', { note: 'no event here' }, { jobId: hollow })

  const dry = await cli(['dead-letters', 'replay', '--dry-run'], env())
  const before = await parked()
  const real = await cli(['dead-letters', 'replay'], env())
  await drained(suite.meter.queue)

  t.deepEqual(dry, {
    code: 1,
    stdout:
      `would replay empty-${userId}-job as batch job replay-empty-${userId}-job\n` +
      `would replay dry-${userId}-job as event job replay-dry-${userId}-job\n` +
      `failed ${hollow}: holds no event to replay\n` +
      'dry run: replayed 2, skipped 0, failed 1\n',
    stderr: 'error: 1 dead letter(s) could not be replayed\n',
  })
  t.deepEqual(
    before.map(({ id }) => id),
    [`empty-${userId}-job`, `dry-${userId}-job`, hollow],
  )
  t.is(real.code, 1)
  t.true(real.stdout.endsWith('replayed 2, skipped 0, failed 1\n'))
  const after = (await parked()).map(({ id, letter }) => [id, letter.reason])
  t.deepEqual(after[0], [hollow, undefined], 'kept, still the oldest')
  t.deepEqual(after.slice(1).sort(), [
    [`replay-dry-${userId}-job-job`, 'user_id: no such user'],
    [`replay-empty-${userId}-job-job`, 'events: must be an array of 1 to 1000 events'],
  ])
  for (const [id] of after) await suite.meter.deadLetters.remove(String(id))
})

test.serial(
  'list shows the oldest letters first with their reasons, --limit and --json',
  async (t) => {
    const userId = unknownUserId()
    for (const n of [1, 2, 3]) {
      await suite.meter.queue.add('event', usage(userId, `list-${n}`, 'upload_bytes', n), {
        jobId: `list-${n}-${userId}`,
      })
    }
    await drained(suite.meter.queue)
    // Oldest first: in the order the worker refused them, which concurrency may shuffle.
    const waiting = await parked()

    const text = await cli(['dead-letters', 'list', '--limit', '2'], env())
    const json = await cli(['dead-letters', 'list', '--json'], env())
    const badLimit = await cli(['dead-letters', 'list', '--limit', '0'], env())

    t.is(text.code, 0)
    t.deepEqual(
      text.stdout.trim().split('\n'),
      waiting
        .slice(0, 2)
        .flatMap(({ id, letter }) => [
          `${id}  rejected ${letter.rejected_at}  from event job ${letter.source.job_id}`,
          '  reason: user_id: no such user',
          `  event: ${JSON.stringify(letter.event)}`,
        ]),
    )
    t.is(text.stderr, '2 of 3 dead letter(s) shown.\n')

    const entries = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    t.deepEqual(
      entries,
      waiting.map(({ id, letter }) => ({ id, ...letter })),
    )
    t.deepEqual(entries.map((entry) => entry.event.value).sort(), [1, 2, 3])
    t.is(badLimit.code, 2)
    t.regex(badLimit.stderr, /^error: option '--limit <n>' argument '0' is invalid/)
    for (const entry of entries) await suite.meter.deadLetters.remove(entry.id)
  },
)

test('replay ids are what BullMQ accepts and differ for different letters', (t) => {
  t.is(replayJobId('ev-abc-job'), 'replay-ev-abc-job')
  t.is(replayJobId('legacy:id:1'), replayJobId('legacy:id:1'))
  t.regex(replayJobId('legacy:id:1'), /^replay_[0-9a-f]{40}$/)
  t.not(replayJobId('a:b'), replayJobId('a_b'))
})
