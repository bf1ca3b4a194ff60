-- ARGV: prefix, partition, id.
remove(ARGV[2] .. '/' .. ARGV[3])
return 1
