import test from 'ava'
import {
  type AnalyticsRows,
  readAnalytics,
  shapeReport,
} from '../../src/analytics/analytics-report.js'
import { emptyDay, insertTraffic, insertUsage } from '../fixtures/analytics.js'
import { freshClickHouse } from '../fixtures/clickhouse.js'

const noRows: AnalyticsRows = {
  bandwidthTotals: [{ bandwidth_bytes: '0', sessions: '0', unique_ips: '0', active_videos: '0' }],
  usageTotals: [{ upload_bytes: '0', encoding_cpu_seconds: '0', encoding_gpu_seconds: '0' }],
  bandwidthDaily: [],
  usageDaily: [],
  topVideos: [],
  topExternalUsers: [],
}

test('days are filled in UTC whatever the process time zone, across a DST change', (t) => {
  const zone = process.env.TZ
  t.teardown(() => {
    if (zone === undefined) delete process.env.TZ
    else process.env.TZ = zone
  })

  for (const tz of ['America/New_York', 'Pacific/Kiritimati', 'Europe/London']) {
    process.env.TZ = tz
    const report = shapeReport(
      { from: '2028-03-10', to: '2028-03-14' },
      {
        ...noRows,
        bandwidthDaily: [
          {
            day: '2028-03-12',
            bandwidth_bytes: '5',
            sessions: '2',
            unique_ips: '3',
            active_videos: '1',
          },
        ],
        usageDaily: [
          {
            day: '2028-03-13',
            upload_bytes: '9',
            encoding_cpu_seconds: '0.000001',
            encoding_gpu_seconds: '0',
          },
        ],
      },
    )

    t.deepEqual(
      report.daily,
      [
        emptyDay('2028-03-10'),
        emptyDay('2028-03-11'),
        {
          ...emptyDay('2028-03-12'),
          bandwidth_bytes: '5',
          sessions: 2,
          unique_ips: 3,
          active_videos: 1,
        },
        { ...emptyDay('2028-03-13'), upload_bytes: '9', encoding_cpu_seconds: '0.000001' },
        emptyDay('2028-03-14'),
      ],
      tz,
    )
  }
})

test('a totals result of other than one row, or a count that is no count, is refused', (t) => {
  const query = { from: '2028-01-01', to: '2028-01-01' }
  t.throws(() => shapeReport(query, { ...noRows, usageTotals: [] }), {
    message: 'usage totals: expected one row, got 0',
  })
  t.throws(
    () =>
      shapeReport(query, {
        ...noRows,
        bandwidthTotals: [
          { bandwidth_bytes: '1', sessions: '1e3', unique_ips: '0', active_videos: '0' },
        ],
      }),
    { message: 'not a count: "1e3"' },
  )
})

test('figures are the same before and after parts merge', async (t) => {
  const clickhouse = await freshClickHouse()
  t.teardown(() => clickhouse.close())

  // Separate inserts are separate parts; a zero-valued usage row keeps its day.
  for (const value of ['0.1', '0.2', '0.3', '0']) {
    await insertUsage(clickhouse, [
      { user: 3, date: '2028-07-01', metric: 'encoding_gpu', value, external: 'cust' },
    ])
    await insertTraffic(clickhouse, [
      { user: 3, date: '2028-07-02', video: 'v', bytes: '1', ip: '::1', session: 'a' },
    ])
  }
  const query = { from: '2028-07-01', to: '2028-07-02', user_id: 3 }
  const before = await readAnalytics(clickhouse, query)

  for (const table of ['usage', 'bandwidth']) {
    await clickhouse.client.command({
      query: `OPTIMIZE TABLE ${clickhouse.database}.${table} FINAL`,
    })
  }
  const after = await readAnalytics(clickhouse, query)

  t.deepEqual(after, before)
  t.like(before.totals, { bandwidth_bytes: '4', sessions: 1, encoding_gpu_seconds: '0.6' })
  t.deepEqual(before.top_external_users, [
    {
      external_user_id: 'cust',
      bandwidth_bytes: '0',
      upload_bytes: '0',
      encoding_cpu_seconds: '0',
      encoding_gpu_seconds: '0.6',
    },
  ])
})
