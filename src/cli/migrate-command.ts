import type { Command } from 'commander'
import { migrateStores } from '../migrate-stores.js'
import type { CliRuntime } from './runtime.js'

export function registerMigrateCommand(program: Command, rt: CliRuntime): void {
  program
    .command('migrate')
    .description('apply pending PostgreSQL and ClickHouse migrations, as the release process does')
    .addHelpText(
      'after',
      '\nSafe to repeat: each store records what it applied. Unlike the release\n' +
        'process it creates no bootstrap admin; see create-admin.',
    )
    .action(async () => {
      const db = await rt.accounts()
      const clickhouse = await rt.clickhouse({ forDdl: true })

      const applied = await migrateStores({ db, clickhouse }, rt.log)
      for (const [store, names] of [
        ['PostgreSQL', applied.postgres],
        ['ClickHouse', applied.clickhouse],
      ] as const) {
        rt.print(`${store}: ${names.length > 0 ? `applied ${names.join(', ')}` : 'up to date'}`)
      }
    })
}
