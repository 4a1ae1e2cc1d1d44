#!/usr/bin/env node
import { EXIT } from './cli-errors.js'
import { runCli } from './program.js'

// A reader that stops early (`| head`) closes the pipe: the output is cut
// short, so stop at once, with no stack trace, as a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err
  process.exit(EXIT.failed)
})

/** `nukevideo-metering <command>`: the operator's command line. */
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
})
