-- Appends samples to each model's list (a JSON value in one hash) and forgets the least recently
-- learned models past the bound, atomically: two processes adding at once both keep theirs.
-- KEYS: the hash, the recency sorted set. ARGV: samples per model, models, then model, product
-- ('' when unknown), pages (0 when unknown), ms, completed at (s) for each sample.
local perModel, maxModels = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 3, #ARGV, 5 do
  local model = ARGV[i]
  local raw = redis.call('HGET', KEYS[1], model)
  local t = raw and cjson.decode(raw) or { product = cjson.null, samples = {} }
  if ARGV[i + 1] ~= '' then t.product = ARGV[i + 1] end
  table.insert(t.samples, { tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]) })
  while #t.samples > perModel do table.remove(t.samples, 1) end
  redis.call('HSET', KEYS[1], model, cjson.encode(t))
  redis.call('ZADD', KEYS[2], tonumber(ARGV[i + 4]), model)
end
while redis.call('ZCARD', KEYS[2]) > maxModels do
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  redis.call('ZREM', KEYS[2], oldest)
  redis.call('HDEL', KEYS[1], oldest)
end
return 1
