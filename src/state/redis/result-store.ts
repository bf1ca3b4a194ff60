/**
 * Kept results in Redis, so a result fetched by one process — even from a model that deletes
 * its results once fetched — can be read by every other. Partitioned by a hash of the API key
 * (the key itself is never stored), bounded per partition and as a whole by count and bytes, and
 * by age (a TTL on each entry): a partition over its own bound loses its own least recently used
 * results, and a store over its bound takes from the partition holding the most (see
 * ../result-store.ts: one caller's results never push out those of a caller within its share). Scripts keep the entries and their indexes in
 * step atomically: plain commands would leave the byte count wrong whenever two processes put
 * at once.
 *
 * Each process also keeps what it put or read in its own memory, under the same bounds: while
 * Redis is away, those results are still served.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ResultMeta, ResultStore, ResultStoreLimits, StoredResult } from '../result-store.js';
import { type MemoryResultStores } from '../result-store.js';
import { LuaScript, type RedisLink } from './link.js';

/**
 * The common part of every script. ARGV[1] is the key prefix. An entry `part/id` is a hash
 * (json, meta) at P..'res:e:'..member; it is listed in res:lru (by last use), res:exp (by
 * expiry), res:size (its bytes) and its partition's res:p:<part> (by last use), and counted in
 * res:bytes; res:pn and res:pb rank the partitions by the results and bytes they hold. res:seq
 * numbers the uses.
 */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local P = ARGV[1]
-- Uses are ordered by a counter, not the clock: two in one millisecond must still be ordered.
local function touch(member, part, id)
  local seq = redis.call('INCR', P .. 'res:seq')
  redis.call('ZADD', P .. 'res:lru', seq, member)
  redis.call('ZADD', P .. 'res:p:' .. part, seq, id)
end
local function remove(member)
  local slash = string.find(member, '/', 1, true)
  redis.call('DEL', P .. 'res:e:' .. member)
  redis.call('ZREM', P .. 'res:lru', member)
  redis.call('ZREM', P .. 'res:exp', member)
  redis.call('ZREM', P .. 'res:p:' .. string.sub(member, 1, slash - 1), string.sub(member, slash + 1))
  local size = tonumber(redis.call('HGET', P .. 'res:size', member))
  if size then
    local part = string.sub(member, 1, slash - 1)
    redis.call('HDEL', P .. 'res:size', member)
    redis.call('DECRBY', P .. 'res:bytes', size)
    if tonumber(redis.call('ZINCRBY', P .. 'res:pn', -1, part)) <= 0 then redis.call('ZREM', P .. 'res:pn', part) end
    if tonumber(redis.call('ZINCRBY', P .. 'res:pb', -size, part)) <= 0 then redis.call('ZREM', P .. 'res:pb', part) end
  end
end
-- The partition ranked first in z (res:pn or res:pb); of equals, part.
local function largest(z, part)
  local top = redis.call('ZREVRANGE', z, 0, 0, 'WITHSCORES')
  if #top == 0 then return nil end
  local mine = tonumber(redis.call('ZSCORE', z, part))
  if mine and mine >= tonumber(top[2]) then return part end
  return top[1]
end
-- Removes the least recently used result of a partition; false when it holds none.
local function evictFrom(part)
  if not part then return false end
  local oldest = redis.call('ZRANGE', P .. 'res:p:' .. part, 0, 0)
  if #oldest == 0 then return false end
  remove(part .. '/' .. oldest[1])
  return true
end
local function live(member)
  local expires = tonumber(redis.call('ZSCORE', P .. 'res:exp', member))
  if expires and expires > now and redis.call('EXISTS', P .. 'res:e:' .. member) == 1 then return true end
  remove(member)
  return false
end
`;

/** ARGV: prefix, partition, id, json, meta, ttlMs, maxEntries, maxBytes, maxEntriesPerPartition, maxBytesPerPartition. */
const PUT = new LuaScript(`${PRELUDE}
local part, id, json, meta = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ttl, maxEntries, maxBytes = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local partEntries, partBytes = tonumber(ARGV[9]), tonumber(ARGV[10])
for _, expired in ipairs(redis.call('ZRANGEBYSCORE', P .. 'res:exp', '-inf', now)) do remove(expired) end
local member = part .. '/' .. id
remove(member)
local bytes = string.len(json) + string.len(meta)
if bytes > math.min(maxBytes, partBytes) or math.min(maxEntries, partEntries) < 1 then return 0 end
redis.call('HSET', P .. 'res:e:' .. member, 'json', json, 'meta', meta)
redis.call('PEXPIRE', P .. 'res:e:' .. member, ttl)
touch(member, part, id)
redis.call('ZADD', P .. 'res:exp', now + ttl, member)
redis.call('HSET', P .. 'res:size', member, bytes)
redis.call('INCRBY', P .. 'res:bytes', bytes)
redis.call('ZINCRBY', P .. 'res:pn', 1, part)
redis.call('ZINCRBY', P .. 'res:pb', bytes, part)
-- The partition's own bound first: its own results make room.
while (redis.call('ZCARD', P .. 'res:p:' .. part) > partEntries or (tonumber(redis.call('ZSCORE', P .. 'res:pb', part)) or 0) > partBytes) and evictFrom(part) do end
-- Then the store's: the partition holding the most gives way.
while redis.call('ZCARD', P .. 'res:lru') > maxEntries and evictFrom(largest(P .. 'res:pn', part)) do end
while (tonumber(redis.call('GET', P .. 'res:bytes')) or 0) > maxBytes and evictFrom(largest(P .. 'res:pb', part)) do end
return 1
`);

/** ARGV: prefix, partition, id. Returns {json, meta, review key, review, decisions} or nil, and marks the entry used. */
const GET = new LuaScript(`${PRELUDE}
local member = ARGV[2] .. '/' .. ARGV[3]
if not live(member) then return false end
touch(member, ARGV[2], ARGV[3])
return redis.call('HMGET', P .. 'res:e:' .. member, 'json', 'meta', 'review_key', 'review', 'decisions')
`);

/** ARGV: prefix, partition, id. Returns {decisions} of a live entry, or nil. */
const GET_DECISIONS = new LuaScript(`${PRELUDE}
local member = ARGV[2] .. '/' .. ARGV[3]
if not live(member) then return false end
return redis.call('HMGET', P .. 'res:e:' .. member, 'decisions')
`);

/** ARGV: prefix, partition, id, decisions, maxBytes. Keeps review decisions with a live entry (replacing earlier ones), counting their bytes. */
const PUT_DECISIONS = new LuaScript(`${PRELUDE}
local member = ARGV[2] .. '/' .. ARGV[3]
if not live(member) then return 0 end
local e = P .. 'res:e:' .. member
local before = tonumber(redis.call('HGET', P .. 'res:size', member)) or 0
local bytes = before - string.len(redis.call('HGET', e, 'decisions') or '') + string.len(ARGV[4])
if bytes > tonumber(ARGV[5]) then return 0 end
redis.call('HSET', e, 'decisions', ARGV[4])
redis.call('HSET', P .. 'res:size', member, bytes)
redis.call('INCRBY', P .. 'res:bytes', bytes - before)
local part = ARGV[2]
redis.call('ZINCRBY', P .. 'res:pb', bytes - before, part)
touch(member, part, ARGV[3])
return 1
`);

/** ARGV: prefix, partition, id. Returns {review key, review} of a live entry, or nil. */
const GET_REVIEW = new LuaScript(`${PRELUDE}
local member = ARGV[2] .. '/' .. ARGV[3]
if not live(member) then return false end
return redis.call('HMGET', P .. 'res:e:' .. member, 'review_key', 'review')
`);

/** ARGV: prefix, partition, id, review key, review, maxBytes. Keeps a verdict with a live entry, counting its bytes. */
const PUT_REVIEW = new LuaScript(`${PRELUDE}
local member = ARGV[2] .. '/' .. ARGV[3]
if not live(member) then return 0 end
local e = P .. 'res:e:' .. member
local before = tonumber(redis.call('HGET', P .. 'res:size', member)) or 0
local old = string.len(redis.call('HGET', e, 'review_key') or '') + string.len(redis.call('HGET', e, 'review') or '')
local bytes = before - old + string.len(ARGV[4]) + string.len(ARGV[5])
if bytes > tonumber(ARGV[6]) then return 0 end
redis.call('HSET', e, 'review_key', ARGV[4], 'review', ARGV[5])
redis.call('HSET', P .. 'res:size', member, bytes)
redis.call('INCRBY', P .. 'res:bytes', bytes - before)
return 1
`);

/** ARGV: prefix, partition, id. */
const DELETE = new LuaScript(`${PRELUDE}
remove(ARGV[2] .. '/' .. ARGV[3])
return 1
`);

/** ARGV: prefix, partition. Returns {id, meta, id, meta…}, least recently used first. */
const LIST = new LuaScript(`${PRELUDE}
local out = {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'res:p:' .. ARGV[2], 0, -1)) do
  local member = ARGV[2] .. '/' .. id
  if live(member) then
    table.insert(out, id)
    table.insert(out, redis.call('HGET', P .. 'res:e:' .. member, 'meta'))
  end
end
return out
`);

const metaSchema = z.object({ fileName: z.string().nullable(), product: z.string().nullable() });

function parseMeta(text: unknown): ResultMeta {
  try {
    const parsed = metaSchema.safeParse(JSON.parse(String(text)));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: no meta
  }
  return { fileName: null, product: null };
}

/** A partition's name as it appears in keys: safe characters as they are, anything else hashed. */
export function keySafe(name: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : createHash('sha256').update(name).digest('hex').slice(0, 32);
}

export class RedisResultStores {
  readonly #local: MemoryResultStores;

  constructor(
    private readonly link: RedisLink,
    private readonly limits: ResultStoreLimits,
    local: MemoryResultStores,
  ) {
    this.#local = local;
  }

  partition(name: string): ResultStore {
    const part = keySafe(name);
    const local = this.#local.partition(name);
    const run = (script: LuaScript, ...args: string[]) => this.link.eval(script, [], [this.link.prefix, part, ...args]);
    return {
      get: async (id) => {
        if (this.link.up) {
          try {
            const reply = (await run(GET, id)) as [string, string, string | null, string | null, string | null] | null;
            if (reply && reply[0] !== null) {
              const result: StoredResult = { json: reply[0], meta: parseMeta(reply[1]) };
              if (reply[2] !== null && reply[3] !== null) result.review = { key: reply[2], json: reply[3] };
              if (reply[4] !== null) result.decisions = reply[4];
              await local.put(id, result);
              return result;
            }
          } catch {
            // Redis is down: what this process holds is served
          }
        }
        // Not in Redis (expired, evicted, or lost with a Redis that restarted empty): what this process holds.
        return local.get(id);
      },
      put: async (id, result) => {
        await local.put(id, result);
        if (!this.link.up) return;
        const { ttlMs, maxEntries, maxBytes, maxEntriesPerPartition, maxBytesPerPartition } = this.limits;
        const meta = JSON.stringify(result.meta);
        await run(PUT, id, result.json, meta, String(ttlMs), String(maxEntries), String(maxBytes), String(maxEntriesPerPartition), String(maxBytesPerPartition)).catch(() => {});
      },
      delete: async (id) => {
        await local.delete(id);
        if (this.link.up) await run(DELETE, id).catch(() => {});
      },
      getReview: async (id) => {
        if (this.link.up) {
          try {
            const reply = (await run(GET_REVIEW, id)) as [string | null, string | null] | null;
            if (reply && reply[0] !== null && reply[1] !== null) return { key: reply[0], json: reply[1] };
            if (reply) return undefined;
          } catch {
            // Redis is down: what this process holds
          }
        }
        return local.getReview(id);
      },
      putReview: async (id, review) => {
        await local.putReview(id, review);
        if (this.link.up) await run(PUT_REVIEW, id, review.key, review.json, String(this.limits.maxBytes)).catch(() => {});
      },
      getDecisions: async (id) => {
        if (this.link.up) {
          try {
            const reply = (await run(GET_DECISIONS, id)) as [string | null] | null;
            if (reply) return reply[0] ?? undefined;
          } catch {
            // Redis is down: what this process holds
          }
        }
        return local.getDecisions(id);
      },
      putDecisions: async (id, decisions) => {
        const kept = await local.putDecisions(id, decisions);
        if (!this.link.up) return kept;
        try {
          return (await run(PUT_DECISIONS, id, decisions, String(Math.min(this.limits.maxBytes, this.limits.maxBytesPerPartition)))) === 1;
        } catch {
          return kept;
        }
      },
      list: async () => {
        if (this.link.up) {
          try {
            const reply = (await run(LIST)) as string[];
            const out: Array<{ inferenceId: string; meta: ResultMeta }> = [];
            for (let i = 0; i + 1 < reply.length; i += 2) out.push({ inferenceId: String(reply[i]), meta: parseMeta(reply[i + 1]) });
            return out;
          } catch {
            // Redis is down: this process's own list
          }
        }
        return local.list();
      },
    };
  }
}
