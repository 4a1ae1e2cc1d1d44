#!/usr/bin/env node
import { runCli } from './program.js'

/** `nukevideo-metering <command>`: the operator's command line. */
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
})
