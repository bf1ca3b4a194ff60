-- ARGV: prefix, now, id, owner, ownerKey, path, filename, size, expiresAt.
local id, expiresAt = ARGV[3], tonumber(ARGV[9])
redis.call('HDEL', P .. 'up:' .. id, 'arriving')
redis.call('HSET', P .. 'up:' .. id, 'owner', ARGV[4], 'ownerKey', ARGV[5], 'path', ARGV[6], 'filename', ARGV[7], 'size', ARGV[8], 'expiresAt', ARGV[9])
local keep = keepFor(expiresAt)
redis.call('PEXPIRE', P .. 'up:' .. id, keep)
redis.call('ZADD', P .. 'up:exp', expiresAt, id)
redis.call('ZADD', P .. 'up:o:' .. ARGV[5], expiresAt, id)
redis.call('PEXPIRE', P .. 'up:o:' .. ARGV[5], keep)
return 1
