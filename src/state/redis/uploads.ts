/**
 * Upload records in Redis, so an upload_id made on one replica is claimed on another (their
 * files are in a directory every replica mounts: MINDEE_MCP_UPLOAD_DIR). The claim is one
 * script: an upload is taken once, by the caller that made it, before it expires, however
 * many replicas try at once. A shutdown drains nothing: another replica may still claim what
 * this one received, and whichever replica sweeps next deletes what has expired.
 *
 * While Redis is away every call fails at once with StateUnavailableError (the uploads are
 * refused, the claims can be tried again): a record kept locally could be claimed twice.
 */
import { systemClock, type Clock } from '../../lib/clock.js';
import { StateUnavailableError } from '../errors.js';
import type { ClaimResult, KeptLimits, Reservation, ReserveResult, UploadLimits, UploadRecord, UploadStore } from '../uploads.js';
import { LuaScript, type RedisLink } from './link.js';
import { keySafe } from './result-store.js';

/** How long a used id is remembered, so reusing one is told apart from a wrong id. */
const USED_REMEMBERED_MS = 24 * 3600_000;
/** Expired uploads taken by one sweep; the next sweep takes more. */
const SWEEP_BATCH = 500;

/**
 * ARGV[1] is the key prefix, ARGV[2] the time (ms, the processes' clock, as the expiries). An
 * upload is a hash at P..'up:'..id, listed in up:exp (by expiry: the sweep) and in its owner's
 * up:o:<owner> (by expiry: what is pending); a used one leaves P..'up:used:'..id = its owner. An
 * upload still arriving is the same hash with an `arriving` field (its size: the bytes reserved).
 * A kept upload (sent, kept for its review) has a `kept` field, is listed in up:exp by its new
 * expiry, in its owner's up:k:<owner> and in up:kept (by the time it was kept: the oldest goes
 * first), not in up:o.
 */
const PRELUDE = `
local P = ARGV[1]
local now = tonumber(ARGV[2])
local FIELDS = {'owner', 'path', 'filename', 'size', 'expiresAt', 'ownerKey'}
local function take(id)
  local record = redis.call('HMGET', P .. 'up:' .. id, unpack(FIELDS))
  redis.call('DEL', P .. 'up:' .. id)
  redis.call('ZREM', P .. 'up:exp', id)
  redis.call('ZREM', P .. 'up:kept', id)
  if record[6] then
    redis.call('ZREM', P .. 'up:o:' .. record[6], id)
    redis.call('ZREM', P .. 'up:k:' .. record[6], id)
  end
  return record
end
`;

/**
 * ARGV: prefix, now, id, owner, ownerKey, bytes, expiresAt, perOwner, files, maxBytes, onDisk.
 * {'ok', id, fields…, …} (the kept uploads removed to make room) or {bound, count, bytes}: the
 * check of every bound and the reservation in one step.
 */
const RESERVE = new LuaScript(`${PRELUDE}
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
    for j = 1, #FIELDS do table.insert(out, record[j]) end
  end
end
redis.call('HSET', P .. 'up:' .. id, 'owner', ARGV[4], 'ownerKey', ARGV[5], 'path', '', 'filename', '', 'size', ARGV[6], 'expiresAt', ARGV[7], 'arriving', '1')
local keep = math.max(expiresAt - now, 0) + 86400000
redis.call('PEXPIRE', P .. 'up:' .. id, keep)
redis.call('ZADD', P .. 'up:exp', expiresAt, id)
redis.call('ZADD', own, expiresAt, id)
redis.call('PEXPIRE', own, keep)
return out
`);

/** ARGV: prefix, now, id. Gives back the place of an upload that did not arrive. */
const RELEASE = new LuaScript(`${PRELUDE}
if redis.call('HEXISTS', P .. 'up:' .. ARGV[3], 'arriving') == 1 then take(ARGV[3]) end
return 1
`);

/** ARGV: prefix, now, id, owner, ownerKey, path, filename, size, expiresAt. */
const PUT = new LuaScript(`${PRELUDE}
local id, expiresAt = ARGV[3], tonumber(ARGV[9])
redis.call('HDEL', P .. 'up:' .. id, 'arriving')
redis.call('HSET', P .. 'up:' .. id, 'owner', ARGV[4], 'ownerKey', ARGV[5], 'path', ARGV[6], 'filename', ARGV[7], 'size', ARGV[8], 'expiresAt', ARGV[9])
-- A safety net for a deployment that stops sweeping: the record outlives its expiry by a day
-- (counted from now, so Redis's clock and the processes' need not agree).
local keep = math.max(expiresAt - now, 0) + 86400000
redis.call('PEXPIRE', P .. 'up:' .. id, keep)
redis.call('ZADD', P .. 'up:exp', expiresAt, id)
redis.call('ZADD', P .. 'up:o:' .. ARGV[5], expiresAt, id)
redis.call('PEXPIRE', P .. 'up:o:' .. ARGV[5], keep)
return 1
`);

/** ARGV: prefix, now, id, owner, usedRememberedMs. {'ok', fields…}, {'expired', fields…}, {'used'} or {'unknown'}. */
const CLAIM = new LuaScript(`${PRELUDE}
local id, owner = ARGV[3], ARGV[4]
if redis.call('HGET', P .. 'up:' .. id, 'owner') ~= owner or redis.call('HEXISTS', P .. 'up:' .. id, 'arriving') == 1 or redis.call('HEXISTS', P .. 'up:' .. id, 'kept') == 1 then
  if redis.call('GET', P .. 'up:used:' .. id) == owner then return {'used'} end
  return {'unknown'}
end
local record = take(id)
if tonumber(record[5]) <= now then
  table.insert(record, 1, 'expired')
  return record
end
redis.call('SET', P .. 'up:used:' .. id, owner, 'PX', ARGV[5])
table.insert(record, 1, 'ok')
return record
`);

/**
 * ARGV: prefix, now, id, owner, ownerKey, path, filename, size, expiresAt, maxCount, maxBytes.
 * Keeps a sent upload; {id, fields…, …} of the owner's oldest kept uploads removed past the bounds.
 */
const KEEP = new LuaScript(`${PRELUDE}
local id, expiresAt = ARGV[3], tonumber(ARGV[9])
local kept = P .. 'up:k:' .. ARGV[5]
redis.call('HSET', P .. 'up:' .. id, 'owner', ARGV[4], 'ownerKey', ARGV[5], 'path', ARGV[6], 'filename', ARGV[7], 'size', ARGV[8], 'expiresAt', ARGV[9], 'kept', '1')
local keep = math.max(expiresAt - now, 0) + 86400000
redis.call('PEXPIRE', P .. 'up:' .. id, keep)
redis.call('ZADD', P .. 'up:exp', expiresAt, id)
redis.call('ZADD', kept, now, id)
redis.call('PEXPIRE', kept, keep)
redis.call('ZADD', P .. 'up:kept', now, id)
local ids, sizes, count, bytes = {}, {}, 0, 0
for _, other in ipairs(redis.call('ZRANGE', kept, 0, -1)) do
  local size = tonumber(redis.call('HGET', P .. 'up:' .. other, 'size'))
  if size then
    table.insert(ids, other)
    count = count + 1
    bytes = bytes + size
    sizes[other] = size
  else
    redis.call('ZREM', kept, other)
  end
end
local out = {}
for _, other in ipairs(ids) do
  if count <= tonumber(ARGV[10]) and bytes <= tonumber(ARGV[11]) then break end
  local record = take(other)
  count = count - 1
  bytes = bytes - sizes[other]
  table.insert(out, other)
  for j = 1, #FIELDS do table.insert(out, record[j]) end
end
return out
`);

/** ARGV: prefix, now, id, owner. The fields of a kept upload of this owner not expired, or {}. */
const KEPT = new LuaScript(`${PRELUDE}
local record = redis.call('HMGET', P .. 'up:' .. ARGV[3], unpack(FIELDS))
if record[1] ~= ARGV[4] or redis.call('HEXISTS', P .. 'up:' .. ARGV[3], 'kept') ~= 1 or tonumber(record[5]) <= now then return {} end
return record
`);

/** ARGV: prefix, now, ownerKey. {count, bytes} of the owner's uploads not expired. */
const PENDING = new LuaScript(`${PRELUDE}
local own = P .. 'up:o:' .. ARGV[3]
redis.call('ZREMRANGEBYSCORE', own, '-inf', now)
local count, bytes = 0, 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', own, '(' .. now, '+inf')) do
  local size = tonumber(redis.call('HGET', P .. 'up:' .. id, 'size'))
  if size then
    count = count + 1
    bytes = bytes + size
  end
end
return {count, bytes}
`);

/** ARGV: prefix, now, batch. {id, fields…, id, fields…} of the uploads expired by now, removed. */
const SWEEP = new LuaScript(`${PRELUDE}
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'up:exp', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local record = take(id)
  table.insert(out, id)
  for j = 1, #FIELDS do table.insert(out, record[j]) end
end
return out
`);

type Reply = Array<string | number | null>;
const WIDTH = 6;

export class RedisUploadStore implements UploadStore {
  constructor(
    private readonly link: RedisLink,
    private readonly clock: Clock = systemClock,
  ) {}

  async reserve(reservation: Reservation, limits: UploadLimits): Promise<ReserveResult> {
    const { id, owner, bytes, expiresAt } = reservation;
    const reply = (await this.#run(RESERVE, [id, owner, keySafe(owner), String(bytes), String(expiresAt), String(limits.perOwner), String(limits.files), String(limits.bytes), String(limits.onDisk ?? 0)])) as Reply;
    const [outcome, count, held] = reply;
    if (outcome === 'ok') {
      const evicted = records(reply.slice(1));
      return evicted.length > 0 ? { ok: true, evicted } : { ok: true };
    }
    return { ok: false, bound: outcome === 'owner' ? 'owner' : outcome === 'files' ? 'files' : 'bytes', count: Number(count), bytes: Number(held) };
  }

  async release(id: string): Promise<void> {
    await this.#run(RELEASE, [id]);
  }

  async put(record: UploadRecord): Promise<void> {
    const { id, owner, path, filename, size, expiresAt } = record;
    await this.#run(PUT, [id, owner, keySafe(owner), path, filename, String(size), String(expiresAt)]);
  }

  async claim(id: string, owner: string): Promise<ClaimResult> {
    const reply = (await this.#run(CLAIM, [id, owner, String(USED_REMEMBERED_MS)])) as Reply;
    const [outcome, ...fields] = reply;
    if (outcome === 'ok') return { ok: true, record: toRecord(id, fields) };
    if (outcome === 'expired') return { ok: false, reason: 'expired', record: toRecord(id, fields) };
    return { ok: false, reason: outcome === 'used' ? 'used' : 'unknown' };
  }

  async keep(record: UploadRecord, limits: KeptLimits): Promise<UploadRecord[]> {
    const { id, owner, path, filename, size, expiresAt } = record;
    const reply = (await this.#run(KEEP, [id, owner, keySafe(owner), path, filename, String(size), String(expiresAt), String(limits.count), String(limits.bytes)])) as Reply;
    return records(reply);
  }

  async kept(id: string, owner: string): Promise<UploadRecord | undefined> {
    const reply = (await this.#run(KEPT, [id, owner])) as Reply;
    return reply.length > 0 ? { ...toRecord(id, reply), kept: true } : undefined;
  }

  async pending(owner: string): Promise<{ count: number; bytes: number }> {
    const [count, bytes] = (await this.#run(PENDING, [keySafe(owner)])) as [unknown, unknown];
    return { count: Number(count), bytes: Number(bytes) };
  }

  async sweep(): Promise<UploadRecord[]> {
    return records((await this.#run(SWEEP, [String(SWEEP_BATCH)])) as Reply);
  }

  /** Nothing: the uploads this process received may still be claimed on another. */
  async drain(): Promise<UploadRecord[]> {
    return [];
  }

  async #run(script: LuaScript, args: string[]): Promise<unknown> {
    try {
      return await this.link.eval(script, [], [this.link.prefix, String(this.clock.now()), ...args]);
    } catch {
      // Where Redis is and why it failed go to the log (the link says it once), not to callers.
      throw new StateUnavailableError('Uploads are recorded in the shared state (Redis), which cannot be reached now: try again in a moment.');
    }
  }
}

/** Records listed as {id, fields…, id, fields…}. */
function records(reply: Reply): UploadRecord[] {
  const out: UploadRecord[] = [];
  for (let i = 0; i + WIDTH < reply.length; i += WIDTH + 1) out.push(toRecord(String(reply[i]), reply.slice(i + 1, i + 1 + WIDTH)));
  return out;
}

/** A record from its fields in the order of the scripts' FIELDS. */
function toRecord(id: string, fields: Reply): UploadRecord {
  const [owner, path, filename, size, expiresAt] = fields;
  return { id, owner: String(owner), path: String(path), filename: String(filename), size: Number(size), expiresAt: Number(expiresAt) };
}
