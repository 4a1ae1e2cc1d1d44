import { Command } from 'commander'
import { registerAdminCommand } from './admin-command.js'
import { describeFailure, EXIT } from './cli-errors.js'
import { registerDeadLetterCommands } from './dead-letter-commands.js'
import { registerMigrateCommand } from './migrate-command.js'
import { type CliIo, CliRuntime } from './runtime.js'
import { registerTokenCommands } from './token-commands.js'
import { registerUsageCommands } from './usage-export.js'

/** The command tree; settings made here before the commands are added reach every one. */
export function createProgram(rt: CliRuntime): Command {
  const program = new Command('nukevideo-metering')
    .description(
      'Operate NukeVideo Metering: accounts, migrations, dead letters and usage exports.\n' +
        'Stores come from the same environment variables as the other processes.',
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => rt.io.stdout.write(text),
      writeErr: (text) => rt.io.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')

  registerAdminCommand(program, rt)
  registerTokenCommands(program, rt)
  registerMigrateCommand(program, rt)
  registerDeadLetterCommands(program, rt)
  registerUsageCommands(program, rt)
  return program
}

/**
 * Runs one command line and resolves to its exit status: 0 done, 1 the
 * command failed, 2 a bad argument or environment variable. What the command
 * opened is closed either way.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const rt = new CliRuntime(io)
  let exitCode: number = EXIT.ok
  try {
    await createProgram(rt).parseAsync(argv, { from: 'user' })
  } catch (err) {
    const failure = describeFailure(err)
    if (failure.message) io.stderr.write(`error: ${failure.message}\n`)
    exitCode = failure.exitCode
  }

  if (!(await rt.close().catch(() => false)) && exitCode === EXIT.ok) {
    io.stderr.write('error: a store did not close cleanly (LOG_LEVEL=warn shows why)\n')
    exitCode = EXIT.failed
  }
  return exitCode
}
