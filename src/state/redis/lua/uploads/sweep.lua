-- ARGV: prefix, now, batch. {id, fields…, id, fields…} of the uploads expired by now, removed.
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'up:exp', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local record = take(id)
  table.insert(out, id)
  append(out, record)
end
return out
