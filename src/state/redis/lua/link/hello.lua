-- Counts the processes alive in this deployment: each one refreshes its entry on every
-- heartbeat; entries silent for longer than ALIVE_MS are dropped.
local now = clock()
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return redis.call('ZCARD', KEYS[1])
