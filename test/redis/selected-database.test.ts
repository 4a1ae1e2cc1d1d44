import test from 'ava'
import { ConfigError } from '../../src/errors.js'
import { checkSelectedDatabase, createRedis } from '../../src/redis.js'
import { testLog } from '../fixtures/metering.js'
import { REDIS_URL } from '../fixtures/redis.js'

const onDatabase = (db: number) => `${REDIS_URL.replace(/\/\d*$/, '')}/${db}`

test('a database the Redis has passes; one it lacks is named, not swapped for 0', async (t) => {
  const present = createRedis(onDatabase(9), 'commands', testLog)
  const missing = createRedis(onDatabase(99), 'commands', testLog)
  t.teardown(() => {
    present.disconnect()
    missing.disconnect()
  })

  await t.notThrowsAsync(checkSelectedDatabase(present))
  const error = await t.throwsAsync(checkSelectedDatabase(missing), { instanceOf: ConfigError })
  t.deepEqual(error?.errors, { REDIS_URL: ['names database 99, which this Redis does not have'] })
})
