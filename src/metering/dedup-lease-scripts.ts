/**
 * Lua for the leases of journalled batches (see dedup-scripts.ts for the keys):
 * a worker renews the lease of a batch it is still writing, and any worker
 * takes over a batch whose lease ran out. Time comes from Redis, as there.
 */

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
 * ran out (its worker died or hung) and returns its id, then either "journal"
 * and the journal's entries, or "legacy" and a raw-id journal flat as id, stored.
 */
export const takeOverScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
local batch = expired[1]
if not batch then return nil end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), batch)
local reply = redis.call('HVALS', ARGV[1] .. ':journal:' .. batch)
if #reply > 0 then
  table.insert(reply, 1, 'journal')
else
  reply = redis.call('HGETALL', ARGV[1] .. ':batch:' .. batch)
  table.insert(reply, 1, 'legacy')
end
table.insert(reply, 1, batch)
return reply
`
