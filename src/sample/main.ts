import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { loadConfig } from '../config.js'
import { maskUrl } from '../logger.js'
import { MeteringProducer, ProducerUnavailableError } from '../metering/producer.js'
import { type Database, openDatabase } from '../postgres/database.js'
import { isUtcDay, utcDayOf } from '../time/utc-day.js'
import { locateDatabase } from './database-location.js'
import { enqueueSample } from './enqueue.js'
import { buildReport, formatReport } from './report.js'
import { planSampleDay } from './sample-plan.js'
import { ensureSampleUsers } from './sample-users.js'

const usage =
  'usage: npm run sample -- [--day YYYY-MM-DD] [--users N] [--seed N] [--json]\n' +
  '  --day    the UTC day to fill (default: yesterday, UTC)\n' +
  '  --users  how many sample users (default 36, at most 999)\n' +
  '  --seed   the same seed and day give the same events (default 1)\n' +
  '  --json   print the expected totals as JSON'

interface Options {
  day: string
  users: number
  seed: number
  json: boolean
}

/** A problem the user can fix; printed without a stack. */
class UsageError extends Error {}

/** `--help` asked for the usage: printed on stdout, and not a failure. */
class HelpRequested extends Error {}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      day: { type: 'string' },
      users: { type: 'string', default: '36' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) throw new HelpRequested(usage)

  const day = values.day ?? utcDayOf(Date.now() - 86_400_000)
  if (!isUtcDay(day)) throw new UsageError(`--day must be a real date, YYYY-MM-DD\n${usage}`)
  const users = wholeNumber(values.users, 1, 999, '--users')
  const seed = wholeNumber(values.seed, 0, 2 ** 31 - 1, '--seed')
  return { day, users, seed, json: values.json }
}

function wholeNumber(text: string, min: number, max: number, name: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}\n${usage}`)
  }
  return value
}

/**
 * `npm run sample`: creates the sample users, enqueues a realistic day of
 * pipeline events for the running worker, and prints the exact totals that
 * `GET /api/usage` must return once the worker has counted them.
 */
async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const config = loadConfig()
  const log = pino({ name: 'sample', level: 'warn' }, pino.destination(2))

  const databaseUrl = await locateDatabase(config)
  let db: Database
  try {
    db = await openDatabase(databaseUrl, log, { poolMax: 2, cacheAccounts: false })
  } catch (err) {
    throw new UsageError(
      `PostgreSQL at ${maskUrl(databaseUrl)} did not answer (${(err as Error).message}). ` +
        'Is `npm run dev` still running?',
    )
  }

  try {
    const users = await ensureSampleUsers(db, options.users)
    const plan = planSampleDay({
      day: options.day,
      seed: options.seed,
      userIds: users.map((user) => user.id),
    })

    const producer = await MeteringProducer.connect({
      redisUrl: config.redisUrl,
      prefix: config.queuePrefix,
      log,
    })
    const enqueued = await enqueueSample(producer, plan.jobs).finally(() => producer.close())

    const report = buildReport(plan, users, enqueued, config.http.port)
    process.stdout.write(
      options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report),
    )
  } finally {
    await db.close()
  }
}

main().catch((err) => {
  if (err instanceof HelpRequested) {
    console.log(err.message)
    process.exit(0)
  }
  console.error(err instanceof Error ? err.message : String(err))
  if (err instanceof ProducerUnavailableError) {
    console.error('Is Redis running? `npm run dev` starts one when none answers.')
  }
  process.exit(1)
})
