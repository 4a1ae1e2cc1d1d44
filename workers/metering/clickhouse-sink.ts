import type { ClickHouse } from '../../src/clickhouse/client.js'
import { type ClickHouseLayout, insertTable } from '../../src/clickhouse/table-ddl.js'

const batchIdPattern = /^[0-9a-f]{32}$/

/** A table of the product's ClickHouse database with the columns an insert names. */
export interface TableSpec {
  table: string
  columns: readonly string[]
}

/**
 * Inserts the rows of one batch into one table under the batch's id as the
 * deduplication token: a retry of the same batch, from this worker or one that
 * took it over, is skipped by the table instead of counted again. Tokens are
 * per table, so the same id serves every table a batch writes to. The token
 * goes in the statement, not the connection's settings, so it never outlives it.
 *
 * Callers sort the rows: a retry then sends the same bytes in the same order,
 * so however the server splits the insert into blocks, they split the same way.
 */
export async function insertBatch(
  clickhouse: ClickHouse,
  spec: TableSpec,
  batchId: string,
  rows: readonly object[],
): Promise<void> {
  const statement = insertStatement(clickhouse, spec, batchId)
  if (rows.length === 0) return

  const body = rows.map((row) => JSON.stringify(row)).join('\n')
  await clickhouse.client.command({ query: `${statement}\n${body}` })
}

/**
 * The INSERT of one batch into one table, without its rows.
 *
 * On a cluster the batch goes into the Replicated `<table>_local` of the
 * shard the worker's CLICKHOUSE_URL reaches, never through the Distributed
 * table:
 * - The replicas of a shard share one log of insert tokens in Keeper, so a
 *   retry that lands on another replica of the same shard is still skipped.
 *   Shards keep separate logs: a token only protects a batch that goes back
 *   to the same shard, which is why every worker must reach the same shard.
 * - An insert through a Distributed table is, by default, acknowledged once
 *   the rows are queued on the node that took it, before any replica holds
 *   them; a batch would be marked counted while it could still be lost.
 * - Even when it waits, it splits the batch into one block per shard, and
 *   whether each shard then skips its part of a retry depends on the token
 *   reaching every shard with the same split; nothing here can check that.
 * `insert_quorum = 'auto'` answers only once a majority of the shard's
 * replicas hold the rows, so an acknowledged batch survives losing one.
 */
export function insertStatement(layout: ClickHouseLayout, spec: TableSpec, batchId: string) {
  if (!batchIdPattern.test(batchId)) throw new Error(`malformed batch id ${batchId}`)

  const settings = [`insert_deduplication_token = '${batchId}'`]
  if (layout.cluster) settings.push("insert_quorum = 'auto'")
  return (
    `INSERT INTO ${insertTable(layout, spec.table)} (${spec.columns.join(', ')}) ` +
    `SETTINGS ${settings.join(', ')} FORMAT JSONEachRow`
  )
}
