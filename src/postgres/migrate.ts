import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Sequelize } from 'sequelize'
import { type MigrationFn, SequelizeStorage, Umzug } from 'umzug'
import type { Logger } from '../logger.js'
import type { Database } from './database.js'

/** Beside this file in the source tree and in `dist/` alike: ../../migrations/postgres. */
const migrationsDir = fileURLToPath(new URL('../../migrations/postgres/', import.meta.url))

interface MigrationModule {
  up: MigrationFn<Sequelize>
  down?: MigrationFn<Sequelize>
}

/**
 * Applies the pending PostgreSQL migrations and returns their names.
 * A migration is named by its file name without extension, so the record
 * written when running the TypeScript through tsx matches the compiled `.js`
 * that production runs; each migration is also safe to repeat.
 */
export async function migratePostgres(db: Database, log: Logger): Promise<string[]> {
  const migrationLog = log.child({ store: 'postgres', operation: 'migrate' })
  const umzug = new Umzug<Sequelize>({
    migrations: {
      glob: ['*.{ts,js}', { cwd: migrationsDir, ignore: ['*.d.ts', '*.map'] }],
      resolve: ({ name, path: filePath, context }) => {
        const migrationName = path.basename(name).replace(/\.(ts|js)$/, '')
        const load = async (): Promise<MigrationModule> =>
          import(pathToFileURL(filePath ?? path.join(migrationsDir, name)).href)
        return {
          name: migrationName,
          up: async () => (await load()).up({ name: migrationName, path: filePath, context }),
          down: async () => {
            const module = await load()
            if (module.down) await module.down({ name: migrationName, path: filePath, context })
          },
        }
      },
    },
    context: db.sequelize,
    storage: new SequelizeStorage({ sequelize: db.sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  })

  const applied = await umzug.up()
  const names = applied.map((migration) => migration.name)
  if (names.length > 0) migrationLog.info({ migrations: names }, 'postgres migrated')
  await db.changes?.listenNow()
  return names
}
