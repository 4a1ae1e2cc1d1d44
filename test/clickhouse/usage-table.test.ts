import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'

const row = (value: string) => ({
  user_id: 7,
  metric: 'encoding_cpu',
  external_user_id: 'cust-1',
  date: '2026-04-01',
  value,
  events: 1,
})

async function insert(ch: ClickHouse, token: string, rows: object[]): Promise<void> {
  const body = rows.map((r) => JSON.stringify(r)).join('\n')
  await ch.client.command({
    query:
      `INSERT INTO ${ch.database}.usage SETTINGS insert_deduplication_token = '${token}' ` +
      `FORMAT JSONEachRow\n${body}`,
  })
}

async function totals(ch: ClickHouse): Promise<unknown[]> {
  const result = await ch.client.query({
    query:
      'SELECT metric, toString(date) AS date, toString(sum(value)) AS value, ' +
      `toString(sum(events)) AS events FROM ${ch.database}.usage ` +
      'WHERE user_id = {user:UInt64} GROUP BY metric, date ORDER BY metric, date',
    query_params: { user: 7 },
    format: 'JSONEachRow',
  })
  return result.json()
}

test('an insert repeated with the same dedup token counts once', async (t) => {
  const ch = await freshClickHouse()
  t.teardown(() => ch.close())

  await insert(ch, 'batch-a', [row('1.5')])
  await insert(ch, 'batch-a', [row('1.5')])

  t.deepEqual(await totals(ch), [
    { metric: 'encoding_cpu', date: '2026-04-01', value: '1.5', events: '1' },
  ])
})

test('identical rows under different tokens both count', async (t) => {
  const ch = await freshClickHouse()
  t.teardown(() => ch.close())

  await insert(ch, 'batch-a', [row('1.5')])
  await insert(ch, 'batch-b', [row('1.5')])

  t.deepEqual(await totals(ch), [
    { metric: 'encoding_cpu', date: '2026-04-01', value: '3', events: '2' },
  ])
})

test('0.1 + 0.2 + 0.3 seconds sum to exactly 0.6, before and after a merge', async (t) => {
  const ch = await freshClickHouse()
  t.teardown(() => ch.close())

  await insert(ch, 'batch-1', [row('0.1')])
  await insert(ch, 'batch-2', [row('0.2')])
  await insert(ch, 'batch-3', [row('0.3')])
  const expected = [{ metric: 'encoding_cpu', date: '2026-04-01', value: '0.6', events: '3' }]
  t.deepEqual(await totals(ch), expected)

  await ch.client.command({ query: `OPTIMIZE TABLE ${ch.database}.usage FINAL` })
  t.deepEqual(await totals(ch), expected)

  const parts = await ch.client.query({
    query: `SELECT toString(count()) AS rows FROM ${ch.database}.usage`,
    format: 'JSONEachRow',
  })
  t.deepEqual(await parts.json(), [{ rows: '1' }])
})

test('byte counts above 2^53 stay exact', async (t) => {
  const ch = await freshClickHouse()
  t.teardown(() => ch.close())

  const bytes = { ...row('9007199254740993'), metric: 'upload_bytes' }
  await insert(ch, 'batch-1', [bytes])
  await insert(ch, 'batch-2', [{ ...bytes, value: '1' }])

  t.deepEqual(await totals(ch), [
    { metric: 'upload_bytes', date: '2026-04-01', value: '9007199254740994', events: '2' },
  ])
})

test('zero-valued events keep their row through a merge', async (t) => {
  const ch = await freshClickHouse()
  t.teardown(() => ch.close())

  await insert(ch, 'batch-1', [row('0')])
  await insert(ch, 'batch-2', [row('0')])
  await ch.client.command({ query: `OPTIMIZE TABLE ${ch.database}.usage FINAL` })

  t.deepEqual(await totals(ch), [
    { metric: 'encoding_cpu', date: '2026-04-01', value: '0', events: '2' },
  ])
})
