-- ARGV: prefix, now, id. Gives back the place of an upload that did not arrive.
if redis.call('HEXISTS', P .. 'up:' .. ARGV[3], 'arriving') == 1 then take(ARGV[3]) end
return 1
