import test from 'ava'
import type { ClickHouse } from '../../src/clickhouse/client.js'
import { readUsage } from '../../src/usage/usage-query.js'
import { type AccountsRig, startAccountsApi } from '../fixtures/accounts-api.js'
import { userWithToken } from '../fixtures/api.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'

let rig: AccountsRig
let clickhouse: ClickHouse

test.before(async () => {
  rig = await startAccountsApi()
  clickhouse = await freshClickHouse()
})

test.after.always(async () => {
  await clickhouse?.close()
  await rig?.close()
})

test('deleting a user keeps their usage and the history that names them', async (t) => {
  const { user, token } = await userWithToken(rig.postgres.db, 'billed')
  await clickhouse.client.insert({
    table: `${clickhouse.database}.usage`,
    values: [
      {
        user_id: user.id,
        metric: 'upload_bytes',
        external_user_id: '',
        date: '2026-03-01',
        value: '1234',
        events: 2,
      },
    ],
    format: 'JSONEachRow',
  })
  const signedOut = await rig.call('DELETE', '/api/auth/tokens/current', { token })

  const reply = await rig.call('DELETE', `/api/users/${user.id}`, { token: rig.admin.token })

  t.deepEqual([signedOut.status, reply.status], [204, 204])
  const usage = await readUsage(clickhouse, user.id, { from: '2026-03-01', to: '2026-03-01' })
  t.deepEqual(usage, [
    {
      metric: 'upload_bytes',
      external_user_id: '',
      date: '2026-03-01',
      value: '1234',
      unit: 'bytes',
      events: 2,
    },
  ])
  const [entries] = await rig.postgres.db.sequelize.query(
    `SELECT event FROM activity_log WHERE user_id = ${user.id}`,
  )
  t.deepEqual(entries, [{ event: 'token.revoked' }])
})
