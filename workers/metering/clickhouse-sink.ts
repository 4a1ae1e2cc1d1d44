import type { ClickHouse } from '../../src/clickhouse/client.js'

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
  if (!batchIdPattern.test(batchId)) throw new Error(`malformed batch id ${batchId}`)
  if (rows.length === 0) return

  const body = rows.map((row) => JSON.stringify(row)).join('\n')
  const table = `${clickhouse.database}.${spec.table}`
  await clickhouse.client.command({
    query:
      `INSERT INTO ${table} (${spec.columns.join(', ')}) ` +
      `SETTINGS insert_deduplication_token = '${batchId}' FORMAT JSONEachRow\n${body}`,
  })
}
