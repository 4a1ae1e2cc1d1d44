/**
 * Lua run inside Redis so that checking, claiming and committing event ids is
 * atomic across every worker. Shared shape of the keys, under `base`:
 *
 *   base:seen:<n>   hash, one per time bucket: event id → "c" (counted) or
 *                   "p:<batch>" (claimed by a batch whose insert is not yet durable)
 *   base:batch:<id> hash, the batch journal: event id → the event as stored
 *   base:batches    sorted set: batch id → lease expiry (ms)
 *
 * Buckets are `width` ms wide and live `horizon` ms past their end, so an id
 * is remembered for at least the dedup horizon. Time comes from Redis so that
 * workers with skewed clocks agree on the buckets.
 */

const clock = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local horizon = tonumber(ARGV[3])
local width = tonumber(ARGV[4])
local current = math.floor(now / width)
local oldest = math.floor((now - horizon) / width)
local function find(id)
  for b = current, oldest, -1 do
    local state = redis.call('HGET', ARGV[1] .. ':seen:' .. b, id)
    if state then return state, b end
  end
  return nil, nil
end
`

/**
 * KEYS: batches, batch journal. ARGV: base, batch id, horizon, width, lease ms,
 * then event id and stored form, repeated. Returns one status per event:
 * "claimed", "counted", or "p:<other batch>" when another batch holds it.
 */
export const claimScript = `${clock}
local batch = ARGV[2]
local mine = 'p:' .. batch
local claimKey = ARGV[1] .. ':seen:' .. current
local statuses = {}
local claimed = 0
for i = 6, #ARGV, 2 do
  local id = ARGV[i]
  local state = find(id)
  if not state then
    redis.call('HSET', claimKey, id, mine)
    redis.call('HSET', KEYS[2], id, ARGV[i + 1])
    claimed = claimed + 1
    statuses[#statuses + 1] = 'claimed'
  elseif state == 'c' then
    statuses[#statuses + 1] = 'counted'
  elseif state == mine then
    statuses[#statuses + 1] = 'claimed'
  else
    statuses[#statuses + 1] = state
  end
end
if claimed > 0 then
  redis.call('PEXPIREAT', claimKey, (current + 1) * width + horizon)
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), batch)
end
return statuses
`

/**
 * KEYS: batches, batch journal. ARGV: base, batch id, horizon, width.
 * Marks every event of the journal counted, then forgets the journal.
 * Returns how many events it marked.
 */
export const commitScript = `${clock}
local mine = 'p:' .. ARGV[2]
local ids = redis.call('HKEYS', KEYS[2])
local marked = 0
for _, id in ipairs(ids) do
  local state, bucket = find(id)
  if state == mine then
    redis.call('HSET', ARGV[1] .. ':seen:' .. bucket, id, 'c')
    marked = marked + 1
  end
end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[2])
return marked
`

/** KEYS: batches. ARGV: batch id, lease ms. Extends a live batch's lease. */
export const renewScript = `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
`

/**
 * KEYS: batches. ARGV: base, lease ms. Takes over the oldest batch whose lease
 * ran out (its worker died or hung) and returns its id and journal, flat.
 */
export const takeOverScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
local batch = expired[1]
if not batch then return nil end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), batch)
local journal = redis.call('HGETALL', ARGV[1] .. ':batch:' .. batch)
table.insert(journal, 1, batch)
return journal
`
