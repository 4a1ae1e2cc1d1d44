/**
 * Lua run inside Redis so that checking, claiming and committing event ids is
 * atomic across every worker. Shared shape of the keys, under `base`:
 *
 *   base:ids:<n>:<bits>:<shard>  hash, one shard of time bucket n: the 16-byte
 *                     digest of an event id → "c" (counted) or "p:<batch>"
 *                     (claimed by a batch whose insert is not yet durable)
 *   base:shards       hash: "<n>" → the bits of bucket n's shard sets ("12,14"),
 *                     "<n>:n" → how many ids bucket n holds
 *   base:journal:<id> hash, the batch journal: digest → JSON [event id, stored form]
 *   base:batches      sorted set: batch id → lease expiry (ms)
 *
 * Buckets are `width` ms wide and live `horizon` ms past their end, so an id
 * is remembered for at least the dedup horizon. Time comes from Redis so that
 * workers with skewed clocks agree on the buckets.
 *
 * Why digests and shards: a hash of at most 512 fields of at most 64 bytes
 * (Redis's defaults) is kept as a listpack, a flat array costing 21 bytes per
 * 16-byte digest; as a larger hash, with pointers and an allocation per field
 * and value, the same digests measured 89 bytes per id. A shard set of
 * 2^bits shards, chosen by the top bits of the digest, is sized for at most
 * 128 ids a shard on average. A bucket's first set is sized from the bucket
 * before it; when its ids would outgrow the sets, a set with at least 4 times
 * the shards takes the next ones. A lookup tries every set of every live
 * bucket: usually five listpacks of a few kilobytes.
 *
 * All keys share `base`, whose hash tag (with Redis Cluster) puts them in one slot.
 */

const FILL = 128
const MAX_BITS = 32

const lookup = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local base = ARGV[1]
local horizon = tonumber(ARGV[3])
local width = tonumber(ARGV[4])
local current = math.floor(now / width)
local oldest = math.floor((now - horizon) / width)
local shardsKey = base .. ':shards'
local FILL, MAX_BITS = ${FILL}, ${MAX_BITS}

local function shardSet(bucket, bits)
  local prefix = base .. ':ids:' .. bucket .. ':' .. bits .. ':'
  return { bits = bits, prefix = prefix, divisor = 2 ^ (MAX_BITS - bits) }
end

-- Every shard set of the live buckets, newest first; the bits of the current
-- bucket's sets, oldest first; the live buckets of the legacy layout.
local sets, currentBits, legacyKeys = {}, {}, {}
do
  local numbers = {}
  for b = current, oldest, -1 do numbers[#numbers + 1] = tostring(b) end
  local layouts = redis.call('HMGET', shardsKey, unpack(numbers))
  for i, b in ipairs(numbers) do
    local bucketSets = {}
    for bits in string.gmatch(layouts[i] or '', '%d+') do
      table.insert(bucketSets, 1, shardSet(b, tonumber(bits)))
      if i == 1 then currentBits[#currentBits + 1] = tonumber(bits) end
    end
    for _, set in ipairs(bucketSets) do sets[#sets + 1] = set end
    local legacy = base .. ':seen:' .. b
    if redis.call('EXISTS', legacy) == 1 then legacyKeys[#legacyKeys + 1] = legacy end
  end
end

-- The digest's first 4 bytes as a number; a set of 2^bits shards uses its top bits.
local function topOf(digest)
  local a, b, c, d = string.byte(digest, 1, 4)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

local function shardKey(set, top)
  return set.prefix .. math.floor(top / set.divisor)
end

-- Lua's unpack, and so one call, takes some thousands of values at most.
local CHUNK = 1000

-- HSET of many field-value pairs, flat in \`pairs\`, in calls of CHUNK pairs.
local function hsetMany(key, flat)
  for first = 1, #flat, 2 * CHUNK do
    redis.call('HSET', key, unpack(flat, first, math.min(first + 2 * CHUNK - 1, #flat)))
  end
end

-- Looks every digest up, set after set, with one HMGET per shard for all the
-- digests still unfound: for each index, the state found and the shard key
-- holding it, or nothing. Probing one digest at a time took a call per set.
local function probe(digests)
  local states, keys, pending = {}, {}, {}
  for i = 1, #digests do pending[i] = i end
  for _, set in ipairs(sets) do
    if #pending == 0 then break end
    local groups, order = {}, {}
    for _, i in ipairs(pending) do
      local key = shardKey(set, topOf(digests[i]))
      local group = groups[key]
      if not group then
        group = {}
        groups[key] = group
        order[#order + 1] = key
      end
      group[#group + 1] = i
    end
    local still = {}
    for _, key in ipairs(order) do
      local group = groups[key]
      for first = 1, #group, CHUNK do
        local last = math.min(first + CHUNK - 1, #group)
        local fields = {}
        for j = first, last do fields[#fields + 1] = digests[group[j]] end
        local found = redis.call('HMGET', key, unpack(fields))
        for j = first, last do
          local state = found[j - first + 1]
          if state then
            states[group[j]], keys[group[j]] = state, key
          else
            still[#still + 1] = group[j]
          end
        end
      end
    end
    pending = still
  end
  return states, keys
end

-- Buckets written before shard sets existed hold raw event ids: base:seen:<n>.
-- They are read until the last of them expires, one horizon after an upgrade.
local function findLegacy(id)
  for _, key in ipairs(legacyKeys) do
    local state = redis.call('HGET', key, id)
    if state then return state, key end
  end
  return nil, nil
end
`

/**
 * Picks the shard set the current bucket's new ids go to, adding one when the
 * bucket has none yet or the ids about to be claimed would outgrow the sets.
 */
const sizing = `
local function bitsFor(ids)
  local bits = 0
  while bits < MAX_BITS and FILL * 2 ^ bits < ids do bits = bits + 1 end
  return bits
end

local function forgetBucketsBefore(bucket)
  for _, field in ipairs(redis.call('HKEYS', shardsKey)) do
    if tonumber(string.match(field, '^%d+')) < bucket then redis.call('HDEL', shardsKey, field) end
  end
end

local function targetSet(incoming)
  local held = tonumber(redis.call('HGET', shardsKey, current .. ':n') or 0)
  local capacity = 0
  for _, bits in ipairs(currentBits) do capacity = capacity + FILL * 2 ^ bits end
  local newest = currentBits[#currentBits]

  local bits
  if not newest then
    local before = tonumber(redis.call('HGET', shardsKey, (current - 1) .. ':n') or 0)
    if before == 0 then before = redis.call('HLEN', base .. ':seen:' .. (current - 1)) end
    bits = bitsFor(math.max(before, incoming))
    forgetBucketsBefore(oldest)
  elseif held + incoming > capacity and newest < MAX_BITS then
    bits = math.min(MAX_BITS, math.max(newest + 2, bitsFor(held + incoming)))
  else
    return sets[1]
  end

  currentBits[#currentBits + 1] = bits
  redis.call('HSET', shardsKey, tostring(current), table.concat(currentBits, ','))
  redis.call('PEXPIREAT', shardsKey, (current + 1) * width + horizon)
  table.insert(sets, 1, shardSet(tostring(current), bits))
  return sets[1]
end
`

/**
 * KEYS: batches, batch journal. ARGV: base, batch id, horizon, width, lease ms,
 * then digest, event id and journal entry, repeated. Returns one status per
 * event: "claimed", "counted", or "p:<other batch>" when another batch holds it.
 */
export const claimScript = `${lookup}${sizing}
local batch = ARGV[2]
local mine = 'p:' .. batch
local count = (#ARGV - 5) / 3
local target = targetSet(count)
local digests = {}
for i = 1, count do digests[i] = ARGV[3 + 3 * i] end
local states = probe(digests)

local statuses, fresh, journal = {}, {}, {}
local claimed = 0
for i = 1, count do
  local state = states[i]
  if not state then state = findLegacy(ARGV[4 + 3 * i]) end
  if not state then
    local key = shardKey(target, topOf(digests[i]))
    local shard = fresh[key]
    if not shard then
      shard = {}
      fresh[key] = shard
    end
    shard[#shard + 1] = digests[i]
    shard[#shard + 1] = mine
    journal[#journal + 1] = digests[i]
    journal[#journal + 1] = ARGV[5 + 3 * i]
    claimed = claimed + 1
    statuses[i] = 'claimed'
  elseif state == 'c' then
    statuses[i] = 'counted'
  elseif state == mine then
    statuses[i] = 'claimed'
  else
    statuses[i] = state
  end
end
if claimed > 0 then
  local expiry = (current + 1) * width + horizon
  for key, shard in pairs(fresh) do
    hsetMany(key, shard)
    redis.call('PEXPIREAT', key, expiry)
  end
  hsetMany(KEYS[2], journal)
  redis.call('HINCRBY', shardsKey, current .. ':n', claimed)
  redis.call('PEXPIREAT', shardsKey, expiry)
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), batch)
end
return statuses
`

/**
 * KEYS: batches, batch journal. ARGV: base, batch id, horizon, width.
 * Marks every event of the journal counted, then forgets the journal; a batch
 * claimed before shard sets existed has a journal of raw ids, base:batch:<id>.
 * Returns how many events it marked.
 */
export const commitScript = `${lookup}
local mine = 'p:' .. ARGV[2]
local marked = 0
local digests = redis.call('HKEYS', KEYS[2])
local states, keys = probe(digests)
local counted = {}
for i, digest in ipairs(digests) do
  if states[i] == mine then
    local shard = counted[keys[i]]
    if not shard then
      shard = {}
      counted[keys[i]] = shard
    end
    shard[#shard + 1] = digest
    shard[#shard + 1] = 'c'
    marked = marked + 1
  end
end
for key, shard in pairs(counted) do hsetMany(key, shard) end
local legacyJournal = base .. ':batch:' .. ARGV[2]
for _, id in ipairs(redis.call('HKEYS', legacyJournal)) do
  local state, key = findLegacy(id)
  if state == mine then
    redis.call('HSET', key, id, 'c')
    marked = marked + 1
  end
end
redis.call('DEL', KEYS[2], legacyJournal)
redis.call('ZREM', KEYS[1], ARGV[2])
return marked
`
