-- ARGV: prefix, now, id, owner, ownerKey, bytes, expiresAt, perOwner, files, maxBytes, onDisk.
-- {'ok', id, fields…, …} (the kept uploads removed to make room) or {bound, count, bytes}: the
-- check of every bound and the reservation in one step.
local id, expiresAt = ARGV[3], tonumber(ARGV[7])
local own = P .. 'up:o:' .. ARGV[5]
redis.call('ZREMRANGEBYSCORE', own, '-inf', now)
local mine = 0
for _, other in ipairs(redis.call('ZRANGEBYSCORE', own, '(' .. now, '+inf')) do
  if redis.call('EXISTS', P .. 'up:' .. other) == 1 then mine = mine + 1 end
end
if mine >= tonumber(ARGV[8]) then return {'owner', mine, 0} end
-- Every upload not swept yet, expired ones included: their files are still on the disk.
local files, bytes, keptFiles, keptBytes = 0, 0, 0, 0
for _, other in ipairs(redis.call('ZRANGE', P .. 'up:exp', 0, -1)) do
  local fields = redis.call('HMGET', P .. 'up:' .. other, 'size', 'kept')
  local size = tonumber(fields[1])
  if size then
    files = files + 1
    bytes = bytes + size
    if fields[2] then
      keptFiles = keptFiles + 1
      keptBytes = keptBytes + size
    end
  else
    redis.call('ZREM', P .. 'up:exp', other)
  end
end
files = math.max(files, tonumber(ARGV[11]))
local maxFiles, maxBytes, wanted = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[6])
if files - keptFiles >= maxFiles then return {'files', files, bytes} end
if bytes - keptBytes + wanted > maxBytes then return {'bytes', files, bytes} end
-- Uploads kept for review make room, the oldest kept first.
local out = {'ok'}
for _, other in ipairs(redis.call('ZRANGE', P .. 'up:kept', 0, -1)) do
  if files < maxFiles and bytes + wanted <= maxBytes then break end
  local record = take(other)
  if record[4] then
    files = files - 1
    bytes = bytes - tonumber(record[4])
    table.insert(out, other)
    append(out, record)
  end
end
redis.call('HSET', P .. 'up:' .. id, 'owner', ARGV[4], 'ownerKey', ARGV[5], 'path', '', 'filename', '', 'size', ARGV[6], 'expiresAt', ARGV[7], 'arriving', '1')
local keep = keepFor(expiresAt)
redis.call('PEXPIRE', P .. 'up:' .. id, keep)
redis.call('ZADD', P .. 'up:exp', expiresAt, id)
redis.call('ZADD', own, expiresAt, id)
redis.call('PEXPIRE', own, keep)
return out
