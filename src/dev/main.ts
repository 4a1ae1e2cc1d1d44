import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../config.js'
import { type EmbeddedUrls, embeddedUrlsFile } from '../embedded/urls-file.js'
import { createLogger, type Logger } from '../logger.js'
import { ensureRedis } from './local-redis.js'

const entry = (relative: string) => fileURLToPath(new URL(relative, import.meta.url))
// Children get their own process group: Ctrl-C reaches only this supervisor,
// which then stops them in order instead of all at once.
const own = { execArgv: ['--import', 'tsx'], detached: true }

/** The processes this supervisor started, stopped newest first. */
class Children {
  private readonly started: { name: string; child: ChildProcess }[] = []
  stopping = false

  constructor(private readonly log: Logger) {}

  add(name: string, child: ChildProcess): ChildProcess {
    this.started.push({ name, child })
    return child
  }

  find(name: string): ChildProcess | undefined {
    return this.started.find((started) => started.name === name)?.child
  }

  async stopAll(): Promise<void> {
    this.stopping = true
    for (const { name, child } of this.started.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      child.kill('SIGTERM')
      await once(child, 'exit')
      this.log.info({ process: name }, 'stopped')
    }
  }
}

/**
 * `npm run dev`: the real topology on one machine. Redis (started when none
 * answers), the embedded stores in a process of their own, the migrations,
 * then `web` and `worker` as separate processes. Ctrl-C stops them in reverse
 * order: web and worker first, so buffered events are flushed before the
 * stores go away.
 */
async function main(): Promise<void> {
  const config = loadConfig()
  const log = createLogger(config.logLevel, 'dev')
  const children = new Children(log)
  const urlsFile = embeddedUrlsFile(config.dataDir)
  let wroteUrls = false
  const stop = async (code: number) => {
    if (children.stopping) return
    // Only our own: a second copy refused on a locked DATA_DIR must not
    // remove the file of the copy that holds it.
    if (wroteUrls) rmSync(urlsFile, { force: true })
    await children.stopAll()
    process.exit(code)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(0))
  const stopWhenGone = (name: string, child: ChildProcess) =>
    child.on('exit', (exitCode, signal) => {
      if (children.stopping) return
      log.error({ process: name, code: exitCode, signal }, 'process exited; stopping')
      void stop(1)
    })

  try {
    const redis = await ensureRedis(config.redisUrl, config.dataDir, log)
    if (redis) stopWhenGone('redis-server', children.add('redis-server', redis))

    const embedded = children.add('embedded', fork(entry('../embedded/main.ts'), [], own))
    const urls = await readyMessage(embedded)
    stopWhenGone('embedded', embedded)
    mkdirSync(config.dataDir, { recursive: true })
    writeFileSync(urlsFile, `${JSON.stringify(urls)}\n`)
    wroteUrls = true
    const env = {
      ...process.env,
      ...(urls.databaseUrl ? { DATABASE_URL: urls.databaseUrl } : {}),
      ...(urls.clickhouseUrl ? { CLICKHOUSE_URL: urls.clickhouseUrl } : {}),
      // A machine of one's own: the API listens on loopback unless told otherwise,
      // so a dev stack with a well-known admin password is not on the network.
      HOST: process.env.HOST || '127.0.0.1',
      // One web process here: a key for this run keeps dashboard sign-ins working.
      ADMIN_SESSION_SECRET:
        process.env.ADMIN_SESSION_SECRET || randomBytes(32).toString('base64url'),
    }

    const release = fork(entry('../release.ts'), [], { ...own, env })
    const [code] = (await once(release, 'exit')) as [number | null]
    if (code !== 0) throw new Error(`release exited with ${code}`)

    for (const [name, file] of [
      ['worker', '../../workers/metering/main.ts'],
      ['web', '../../api/main.ts'],
    ] as const) {
      stopWhenGone(name, children.add(name, fork(entry(file), [], { ...own, env })))
    }
    await listening(children.find('web') as ChildProcess)
    const url = `http://127.0.0.1:${config.http.port}`
    log.info({ url, dashboard: `${url}/admin/queues` }, 'NukeVideo Metering is running')
  } catch (err) {
    log.error({ err }, 'start-up failed')
    await stop(1)
  }
}

/** Resolves when the web process says it listens; its exit is handled elsewhere. */
function listening(web: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    web.on('message', (message: { listening?: number }) => {
      if (message.listening !== undefined) resolve()
    })
  })
}

function readyMessage(child: ChildProcess): Promise<EmbeddedUrls> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`embedded stores exited with ${code}`)))
    child.on('message', (message: { ready?: EmbeddedUrls }) => {
      if (message.ready) resolve(message.ready)
    })
  })
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
