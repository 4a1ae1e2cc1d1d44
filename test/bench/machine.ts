import { readFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { Redis } from 'ioredis'
import pg from 'pg'
import { REDIS_URL } from '../fixtures/redis.js'

/** What the benchmarks ran on, for the report. */
export interface Machine {
  cpu: string
  cores: number
  memoryGb: number
  os: string
  node: string
  redis: string
  postgres: string
  clickhouse: string
}

export async function describeMachine(): Promise<Machine> {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: await redisVersion(),
    postgres: await postgresVersion(),
    clickhouse: await chdbVersion(),
  }
}

async function redisVersion(): Promise<string> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    const info = await redis.info('server')
    return /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown'
  } finally {
    redis.disconnect()
  }
}

/** The server at DATABASE_URL when set, as the benchmarks use it; else PGlite. */
async function postgresVersion(): Promise<string> {
  const serverUrl = process.env.DATABASE_URL
  if (serverUrl) {
    const client = new pg.Client({ connectionString: serverUrl })
    await client.connect()
    try {
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version')
      return `PostgreSQL ${rows[0]?.server_version} (server at DATABASE_URL)`
    } finally {
      await client.end()
    }
  }

  const lite = await PGlite.create()
  try {
    const { rows } = await lite.query<{ server_version: string }>('SHOW server_version')
    const version = packageVersion('@electric-sql/pglite')
    return `PGlite ${version} (PostgreSQL ${rows[0]?.server_version}), in memory`
  } finally {
    await lite.close()
  }
}

async function chdbVersion(): Promise<string> {
  const { query } = await import('chdb')
  const engine = query('SELECT version()', 'TabSeparated').trim()
  return `chDB ${packageVersion('chdb')} (ClickHouse ${engine}), embedded`
}

function packageVersion(name: string): string {
  const file = fileURLToPath(new URL(`../../node_modules/${name}/package.json`, import.meta.url))
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}
