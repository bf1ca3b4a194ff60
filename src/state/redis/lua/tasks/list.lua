-- ARGV: prefix, now, owner, hasCursor, cursor, pageSize. {more, id, fields…, id, fields…}, or {-1} for a cursor not found.
dropExpired()
local own = P .. 'tasks:o:' .. ARGV[3]
local start = 0
if ARGV[4] == '1' then
  local rank = redis.call('ZRANK', own, ARGV[5])
  if not rank then return {-1} end
  start = rank + 1
end
local size = tonumber(ARGV[6])
local out = {0}
for i, id in ipairs(redis.call('ZRANGE', own, start, start + size)) do
  if i > size then
    out[1] = 1
  else
    table.insert(out, id)
    append(out, state(id))
  end
end
return out
