import type { Command } from 'commander'
import { deadLetterQueueName, METERING_QUEUE } from '../metering/queues.js'
import { CommandFailedError } from './cli-errors.js'
import {
  listDeadLetters,
  type ParkedLetter,
  type ReplayResult,
  replayDeadLetters,
} from './dead-letter-replay.js'
import { wholeNumber } from './options.js'
import type { CliRuntime } from './runtime.js'

/** Longest event shown by `list`; `--json` shows it whole. */
const shownEventChars = 300

function describeLetter({ id, letter }: ParkedLetter): string[] {
  const source = letter.source
  const position = typeof source?.index === 'number' ? ` #${source.index}` : ''
  const event = JSON.stringify(letter.event) ?? 'undefined'
  const shown = event.length > shownEventChars ? `${event.slice(0, shownEventChars)}… (cut)` : event
  const from = `from ${source?.job_name} job ${source?.job_id}${position}`
  return [
    `${id}  rejected ${letter.rejected_at}  ${from}`,
    `  reason: ${letter.reason}`,
    `  event: ${shown}`,
  ]
}

function describeResult(result: ReplayResult, dryRun: boolean): string {
  switch (result.outcome) {
    case 'replayed': {
      const verb = dryRun ? 'would replay' : 'replayed'
      return `${verb} ${result.id} as ${result.job.name} job ${result.job.opts.jobId}`
    }
    case 'skipped':
      return `skipped ${result.id}: ${result.reason}`
    case 'failed':
      return `failed ${result.id}: ${result.reason}`
  }
}

export function registerDeadLetterCommands(program: Command, rt: CliRuntime): void {
  const deadLetters = program
    .command('dead-letters')
    .description(`inspect and replay refused events (queue ${deadLetterQueueName()}), oldest first`)

  deadLetters
    .command('list')
    .description('show the oldest refused events with their reasons')
    .option('--limit <n>', 'how many to show', wholeNumber(1, 100_000), 20)
    .option('--json', 'one JSON object per line, each event whole')
    .action(async (options: { limit: number; json?: boolean }) => {
      const { deadLetters } = await rt.queues()

      const { total, letters } = await listDeadLetters(deadLetters, options.limit)
      for (const parked of letters) {
        if (options.json) rt.print(JSON.stringify({ id: parked.id, ...parked.letter }))
        else for (const line of describeLetter(parked)) rt.print(line)
      }
      rt.note(`${letters.length} of ${total} dead letter(s) shown.`)
    })

  deadLetters
    .command('replay')
    .description(`put refused events back on the ${METERING_QUEUE} queue, then remove them`)
    .option('--limit <n>', 'replay at most this many (default: all)', wholeNumber(1, 10_000_000))
    .option('--dry-run', 'say what would be replayed; change nothing')
    .addHelpText(
      'after',
      '\nSafe to run twice or to interrupt: an event counts once by its event_id, and\n' +
        'a replay job already in the queue is not enqueued again. An event refused\n' +
        'again goes back to the dead letters with its new reason. Exits 1 when any\n' +
        'entry could not be replayed.\n\n' +
        'Example, after creating the user that events named:\n' +
        '  nukevideo-metering dead-letters replay --dry-run\n' +
        '  nukevideo-metering dead-letters replay',
    )
    .action(async (options: { limit?: number; dryRun?: boolean }) => {
      const queues = await rt.queues()
      const dryRun = options.dryRun ?? false

      const summary = await replayDeadLetters(queues, {
        limit: options.limit,
        dryRun,
        onResult: (result) => rt.print(describeResult(result, dryRun)),
      })
      rt.print(
        `${dryRun ? 'dry run: ' : ''}replayed ${summary.replayed}, ` +
          `skipped ${summary.skipped}, failed ${summary.failed}`,
      )
      if (summary.failed > 0) {
        throw new CommandFailedError(`${summary.failed} dead letter(s) could not be replayed`)
      }
    })
}
