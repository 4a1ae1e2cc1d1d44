import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { type Logger, maskUrl } from '../logger.js'

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

/**
 * True when a Redis at `url` answers PING within a second; with `pid`, only
 * when that very process answers (not another that took the port meanwhile).
 */
export async function redisAnswers(url: string, pid?: number): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    if (pid !== undefined && !(await redis.info('server')).includes(`process_id:${pid}\r\n`)) {
      return false
    }
    return (await redis.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

/**
 * Makes sure a Redis answers at `url`. When none does, the URL points at this
 * machine and `redis-server` is installed, starts one with its append-only
 * file under `dataDir/redis` and returns the child to stop later.
 */
export async function ensureRedis(
  url: string,
  dataDir: string,
  log: Logger,
): Promise<ChildProcess | undefined> {
  if (await redisAnswers(url)) return undefined

  const { hostname, port } = new URL(url)
  const installed = spawnSync('redis-server', ['--version']).status === 0
  if (!loopbackHosts.has(hostname) || !installed) {
    throw new Error(
      `No Redis answers at ${maskUrl(url)}. Start one (Debian/Ubuntu: apt-get install ` +
        'redis-server; macOS: brew install redis) or set REDIS_URL.',
    )
  }

  const dir = path.join(dataDir, 'redis')
  mkdirSync(dir, { recursive: true })
  const args = ['--port', port || '6379', '--bind', '127.0.0.1', '--dir', dir]
  const child = spawn('redis-server', [...args, '--appendonly', 'yes', '--save', ''], {
    stdio: 'ignore',
    detached: true,
  })
  log.info({ port: port || '6379', dir }, 'started a local redis-server')

  for (let attempt = 0; attempt < 50; attempt++) {
    if (await redisAnswers(url)) return child
    await sleep(100)
  }
  child.kill('SIGTERM')
  throw new Error(`redis-server did not answer at ${maskUrl(url)} within 5 seconds`)
}
