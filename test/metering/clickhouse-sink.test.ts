import test from 'ava'
import { usageTable } from '../../migrations/clickhouse/0001_usage.js'
import { createTableStatements } from '../../src/clickhouse/table-ddl.js'
import { usageColumns } from '../../src/metering/usage-rows.js'
import { insertBatch, insertStatement } from '../../workers/metering/clickhouse-sink.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'

const spec = { table: 'usage', columns: usageColumns }
const batchId = '0123456789abcdef0123456789abcdef'

test('one server: the batch goes into the table under its token', (t) => {
  t.is(
    insertStatement({ database: 'nukevideo' }, spec, batchId),
    'INSERT INTO nukevideo.usage (user_id, metric, external_user_id, date, value, events) ' +
      `SETTINGS insert_deduplication_token = '${batchId}' FORMAT JSONEachRow`,
  )
})

test("a cluster: the batch goes into the shard's local table and waits for a quorum", (t) => {
  t.is(
    insertStatement({ database: 'nukevideo', cluster: 'metering' }, spec, batchId),
    'INSERT INTO nukevideo.usage_local ' +
      '(user_id, metric, external_user_id, date, value, events) ' +
      `SETTINGS insert_deduplication_token = '${batchId}', insert_quorum = 'auto' ` +
      'FORMAT JSONEachRow',
  )
})

test('a batch id that is not 32 hex digits never reaches the SQL', (t) => {
  t.throws(() => insertStatement({ database: 'nukevideo' }, spec, "x' OR 1"), {
    message: /malformed batch id/,
  })
})

test('the cluster form of an insert runs, and its retry is skipped by the token', async (t) => {
  const ch = await freshClickHouse()
  t.teardown(() => ch.close())
  // chDB has no Keeper: a plain table under the local name stands in for the replicated one.
  const standIn = { ...usageTable, name: 'usage_local' }
  for (const query of createTableStatements(ch, standIn)) await ch.client.command({ query })
  const clustered = { ...ch, cluster: 'metering' }
  const row = {
    user_id: 7,
    metric: 'encoding_cpu',
    external_user_id: '',
    date: '2026-04-01',
    value: '0.6',
    events: 3,
  }

  await insertBatch(clustered, spec, batchId, [row])
  await insertBatch(clustered, spec, batchId, [row])

  const result = await ch.client.query({
    query:
      'SELECT toString(sum(value)) AS total, sum(events) AS events ' +
      `FROM ${ch.database}.usage_local`,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  t.deepEqual(await result.json(), [{ total: '0.6', events: 3 }])
})
