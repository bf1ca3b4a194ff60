-- KEYS: the window (a sorted set: one member per slot, scored by when its request ended, or by
-- when its lease runs out while it is in flight), the pacing bucket (a hash), the processes alive.
-- ARGV: limit, windowMs, burst, leaseMs, slots wanted, member prefix, ms a process counts as
-- alive, tokens speculative requests leave untouched, how many of the wanted are not speculative
-- (they come first), the test clock's now (empty: TIME).
-- Returns {granted, wait ms (-1: every slot in flight), slots in the window, processes alive}.
local now = clock(ARGV[10])
local limit, windowMs, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lease, want, prefix = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local reserve, likely = tonumber(ARGV[8]), tonumber(ARGV[9])
local function needed(n) if n < likely then return 1 else return 1 + reserve end end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - windowMs)
local used = redis.call('ZCARD', KEYS[1])
local bucket = redis.call('HMGET', KEYS[2], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * limit / windowMs)
local granted = 0
while granted < want and used < limit and tokens >= needed(granted) do
  granted = granted + 1
  used = used + 1
  tokens = tokens - 1
  redis.call('ZADD', KEYS[1], now + lease, prefix .. granted)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[7]))
local processes = redis.call('ZCARD', KEYS[3])
redis.call('HSET', KEYS[2], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[2], windowMs * 2)
redis.call('PEXPIRE', KEYS[1], windowMs + lease)
local wait = 0
if granted < want then
  if used >= limit then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    local ends = tonumber(oldest[2])
    if ends > now then wait = -1 else wait = ends + windowMs - now end
  end
  local short = needed(granted) - tokens
  if short > 0 and wait >= 0 then wait = math.max(wait, math.ceil(short * windowMs / limit)) end
end
return {granted, wait, used, processes}
