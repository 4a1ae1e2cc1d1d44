import type { CliIo } from './runtime.js'

const ctrlC = '\u0003'
const ctrlD = '\u0004'
const backspaces = new Set(['\u007f', '\b'])

/**
 * Reads a password from stdin, for `--password-stdin`. Piped in, it is
 * everything up to the end of input, less one final line break (as
 * `printf '%s\n' "$PASSWORD" |` sends it). At a terminal, it is one line typed
 * without echo, so it never shows on screen nor lands in shell history.
 */
export async function readPassword(io: CliIo): Promise<string> {
  if (io.stdin.isTTY && io.stdin.setRawMode) return promptHidden(io)

  let text = ''
  io.stdin.setEncoding('utf8')
  for await (const chunk of io.stdin) text += chunk
  return text.replace(/\r?\n$/, '')
}

function promptHidden(io: CliIo): Promise<string> {
  const { stdin, stderr } = io
  stderr.write('Password: ')
  stdin.setRawMode?.(true)
  stdin.setEncoding('utf8')

  return new Promise((resolve, reject) => {
    let typed = ''
    const finish = (outcome: () => void) => {
      stdin.off('data', onData)
      stdin.setRawMode?.(false)
      stdin.pause()
      stderr.write('\n')
      outcome()
    }
    const onData = (chunk: string) => {
      for (const key of chunk) {
        if (key === ctrlC) return finish(() => reject(new Error('cancelled')))
        if (key === '\r' || key === '\n' || key === ctrlD) return finish(() => resolve(typed))
        typed = backspaces.has(key) ? typed.slice(0, -1) : typed + key
      }
    }
    stdin.on('data', onData)
    stdin.resume()
  })
}
