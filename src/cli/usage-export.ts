import { open, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Transform, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Row } from '@clickhouse/client'
import { Presets, SingleBar } from 'cli-progress'
import type { Command } from 'commander'
import { stringify } from 'csv-stringify'
import type { ClickHouse } from '../clickhouse/client.js'
import { daysInRange } from '../time/utc-day.js'
import {
  toUsageEntry,
  type UsageFilter,
  type UsageRow,
  usageQuerySchema,
  usageStatement,
} from '../usage/usage-query.js'
import { fieldErrors } from '../validation.js'
import { CommandFailedError, invalidOptions } from './cli-errors.js'
import { MAX_ROW_ID, wholeNumber } from './options.js'
import type { CliRuntime } from './runtime.js'

/** The columns of the export, in order; the first line of every file names them. */
export const USAGE_CSV_COLUMNS = [
  'user_id',
  'metric',
  'external_user_id',
  'date',
  'value',
  'unit',
] as const

/** Where the export has got to: the day of the row just written and rows so far. */
export type ExportProgress = (update: { date: string; rows: number }) => void

/**
 * Writes usage as CSV, one row per user, metric, external user and UTC day,
 * ordered by day, with exact decimal values. Rows stream from ClickHouse to
 * `output` as they come, so the export's size never has to fit in memory.
 * `output` is left open: it may be stdout. Resolves to the number of rows.
 */
export async function exportUsage(
  clickhouse: ClickHouse,
  filter: UsageFilter,
  output: Writable,
  onProgress?: ExportProgress,
): Promise<number> {
  const result = await clickhouse.client.query({
    ...usageStatement(clickhouse.database, filter),
    format: 'JSONEachRow',
  })

  let rows = 0
  const toRecords = new Transform({
    objectMode: true,
    transform(batch: Row[], _encoding, done) {
      for (const row of batch) {
        const usage = row.json<UsageRow>()
        const entry = toUsageEntry(usage)
        this.push([
          usage.user_text,
          entry.metric,
          entry.external_user_id,
          entry.date,
          entry.value,
          entry.unit,
        ])
        rows++
        onProgress?.({ date: entry.date, rows })
      }
      done()
    },
  })
  const csv = stringify({ header: true, columns: [...USAGE_CSV_COLUMNS] })

  await pipeline(result.stream(), toRecords, csv, output, { end: false })
  return rows
}

/**
 * Exports into a file of its own beside `file`, renamed over it once every
 * row is written: a failed export never leaves a file that looks complete.
 */
async function exportToFile(file: string, work: (output: Writable) => Promise<number>) {
  // Refused before any row is read: a directory can never take the rename at the end.
  if ((await stat(file).catch(() => undefined))?.isDirectory()) {
    throw new CommandFailedError(`--output ${file}: is a directory; name a file`)
  }
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`)
  const handle = await open(partial, 'wx').catch((err: NodeJS.ErrnoException) => {
    throw new CommandFailedError(
      `--output ${file}: cannot write there (${err.code ?? err.message})`,
    )
  })
  const output = handle.createWriteStream()
  try {
    const rows = await work(output)
    await new Promise<void>((resolve, reject) => {
      output.once('error', reject)
      output.end(resolve)
    })
    await rename(partial, file)
    return rows
  } catch (err) {
    output.destroy()
    await rm(partial, { force: true })
    throw err
  }
}

/** A bar on stderr, by days of the range done; only when stderr is a terminal. */
function progressBar(rt: CliRuntime, from: string, to: string) {
  if (!rt.io.stderr.isTTY) return undefined

  const bar = new SingleBar(
    {
      stream: rt.io.stderr,
      format: 'usage export |{bar}| {value}/{total} days | {rows} rows',
      hideCursor: true,
    },
    Presets.shades_classic,
  )
  bar.start(daysInRange(from, to), 0, { rows: 0 })
  return {
    update: (({ date, rows }) =>
      bar.update(daysInRange(from, date) - 1, { rows })) as ExportProgress,
    finish(rows: number) {
      bar.update(daysInRange(from, to), { rows })
      bar.stop()
    },
    abandon: () => bar.stop(),
  }
}

interface ExportOptions {
  from: string
  to: string
  userId?: number
  output?: string
}

export function registerUsageCommands(program: Command, rt: CliRuntime): void {
  const usage = program.command('usage').description('usage figures from ClickHouse')

  usage
    .command('export')
    .description('write usage as CSV: user_id, metric, external_user_id, date, value, unit')
    .requiredOption('--from <day>', 'first UTC day, YYYY-MM-DD')
    .requiredOption('--to <day>', 'last UTC day, YYYY-MM-DD, at most 400 days after --from')
    .option('--user-id <id>', 'one user only (default: every user)', wholeNumber(1, MAX_ROW_ID))
    .option('--output <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      '\nOne row per user, metric, external user and UTC day with usage, ordered by\n' +
        'day; values are exact decimals (bytes, or seconds to the microsecond). The\n' +
        'days follow the rules of GET /api/usage. A file is only written whole.\n\n' +
        'Example:\n' +
        '  nukevideo-metering usage export --from 2026-04-01 --to 2026-04-30 \\\n' +
        '    --output usage-2026-04.csv',
    )
    .action(async (options: ExportOptions) => {
      const days = usageQuerySchema.safeParse({ from: options.from, to: options.to })
      if (!days.success) {
        throw invalidOptions(fieldErrors(days.error), { from: '--from', to: '--to' })
      }
      const filter: UsageFilter = { ...days.data, userId: options.userId }
      const clickhouse = await rt.clickhouse()

      const bar = progressBar(rt, filter.from, filter.to)
      const run = (output: Writable) => exportUsage(clickhouse, filter, output, bar?.update)
      try {
        const rows = options.output
          ? await exportToFile(options.output, run)
          : await run(rt.io.stdout)
        bar?.finish(rows)
        if (options.output) rt.note(`${rows} row(s) written to ${options.output}`)
      } catch (err) {
        bar?.abandon()
        throw err
      }
    })
}
