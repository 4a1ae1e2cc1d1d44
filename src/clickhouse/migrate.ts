import { readdir } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type MigrationParams, type RunnableMigration, Umzug, type UmzugStorage } from 'umzug'
import type { Logger } from '../logger.js'
import type { ClickHouse, ClickHouseClient } from './client.js'
import {
  type ClickHouseLayout,
  createDatabaseStatement,
  createTableStatements,
  insertTable,
  migrationsTable,
  readTable,
} from './table-ddl.js'

/**
 * What every ClickHouse migration's `up` receives: the client and the
 * layout its DDL is generated for (one server, or `ON CLUSTER`).
 */
export interface ClickHouseMigrationContext extends ClickHouseLayout {
  client: ClickHouseClient
  /** The product's database, already checked to be a plain identifier. */
  database: string
}

interface MigrationModule {
  up(params: { context: ClickHouseMigrationContext }): Promise<void>
}

/** Beside the sources under tsx; `dist/migrations/clickhouse` after tsc. */
const migrationsDir = fileURLToPath(new URL('../../migrations/clickhouse/', import.meta.url))
const migrationFile = /^(?<name>.+?)(?<!\.d)\.(ts|js)$/

/**
 * Applies the pending ClickHouse migrations and returns their names. Each is
 * recorded in `${database}.schema_migrations` once it has run, so a rerun on
 * the next deploy applies nothing. On a cluster every statement runs
 * `ON CLUSTER`, so it does not matter which node the release process reaches.
 */
export async function migrateClickHouse(ch: ClickHouse, log: Logger): Promise<string[]> {
  const context: ClickHouseMigrationContext = {
    client: ch.client,
    database: ch.database,
    cluster: ch.cluster,
  }
  const migrationLog = log.child({ component: 'clickhouse-migrations', cluster: ch.cluster })

  await ch.client.command({ query: createDatabaseStatement(context) })
  for (const query of createTableStatements(context, migrationsTable)) {
    await ch.client.command({ query })
  }

  const umzug = new Umzug<ClickHouseMigrationContext>({
    migrations: await listMigrations(),
    context,
    storage: new ClickHouseMigrationStorage(ch),
    logger: {
      info: (entry) => migrationLog.info(entry, 'migration'),
      warn: (entry) => migrationLog.warn(entry, 'migration'),
      error: (entry) => migrationLog.error(entry, 'migration'),
      debug: (entry) => migrationLog.debug(entry, 'migration'),
    },
  })

  const applied = await umzug.up()
  return applied.map((migration) => migration.name)
}

/**
 * Migration files by name without extension, so the `.ts` sources and the
 * compiled `.js` files count as the same migrations.
 */
async function listMigrations(): Promise<RunnableMigration<ClickHouseMigrationContext>[]> {
  const files = (await readdir(migrationsDir)).sort()
  const migrations: RunnableMigration<ClickHouseMigrationContext>[] = []
  for (const file of files) {
    const name = migrationFile.exec(file)?.groups?.name
    if (!name) continue

    const url = pathToFileURL(`${migrationsDir}${file}`).href
    migrations.push({
      name,
      path: url,
      up: async ({ context }: MigrationParams<ClickHouseMigrationContext>) => {
        const migration = (await import(url)) as MigrationModule
        await migration.up({ context })
      },
    })
  }
  return migrations
}

/**
 * Records go to the table inserts use and are read from the table reads
 * use: on a cluster, this shard's replicated table and the Distributed one.
 */
class ClickHouseMigrationStorage implements UmzugStorage<ClickHouseMigrationContext> {
  private readonly writeTo: string
  private readonly readFrom: string
  private readonly onCluster: string

  constructor(private readonly ch: ClickHouse) {
    this.writeTo = insertTable(ch, migrationsTable.name)
    this.readFrom = readTable(ch, migrationsTable.name)
    this.onCluster = ch.cluster ? ` ON CLUSTER ${ch.cluster}` : ''
  }

  async logMigration({ name }: { name: string }): Promise<void> {
    await this.ch.client.insert({ table: this.writeTo, values: [{ name }], format: 'JSONEachRow' })
  }

  async unlogMigration({ name }: { name: string }): Promise<void> {
    await this.ch.client.command({
      query: `DELETE FROM ${this.writeTo}${this.onCluster} WHERE name = {name:String}`,
      query_params: { name },
    })
  }

  async executed(): Promise<string[]> {
    const result = await this.ch.client.query({
      query: `SELECT DISTINCT name FROM ${this.readFrom} ORDER BY name`,
      format: 'JSONEachRow',
    })
    const rows = await result.json<{ name: string }>()
    return rows.map((row) => row.name)
  }
}
