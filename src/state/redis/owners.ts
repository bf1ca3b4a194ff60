/**
 * Job owners in Redis, so that every replica knows who started a job: `own:<kind>:<id>` holds
 * the owner (expiring with Mindee's longest keep, 24 h), and each caller's `own:c:<caller>`
 * lists its records by time, so its oldest go first past the per-caller bound. One script
 * records, so a bound and a first owner hold however many replicas record at once.
 *
 * Each process also keeps what it recorded in its own memory: while Redis is away, a caller
 * still reads the jobs it started on this replica. An id neither knows while Redis is away is
 * neither anyone's nor no one's: StateUnavailableError (try again), never "yours".
 */
import type { Clock } from '../../lib/clock.js';
import { StateUnavailableError } from '../errors.js';
import { DEFAULT_OWNER_LIMITS, MAX_DOCUMENT_RECORD_BYTES, MemoryJobOwners, type JobOwners, type OwnedKind, type OwnerLimits } from '../owners.js';
import { LuaScript, type RedisLink } from './link.js';
import { keySafe } from './result-store.js';

/** ARGV: prefix, kind:id, owner, keySafe(owner), ttlMs, perCaller. */
const RECORD = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local P, member, owner = ARGV[1], ARGV[2], ARGV[3]
local ttl, max = tonumber(ARGV[5]), tonumber(ARGV[6])
local key = P .. 'own:' .. member
local current = redis.call('GET', key)
if current and current ~= owner then return 0 end
redis.call('SET', key, owner, 'PX', ttl)
local own = P .. 'own:c:' .. ARGV[4]
redis.call('ZADD', own, now, member)
redis.call('ZREMRANGEBYSCORE', own, '-inf', now - ttl)
local over = redis.call('ZCARD', own) - max
if over > 0 then
  for _, old in ipairs(redis.call('ZRANGE', own, 0, over - 1)) do
    if redis.call('GET', P .. 'own:' .. old) == owner then redis.call('DEL', P .. 'own:' .. old) end
  end
  redis.call('ZREMRANGEBYRANK', own, 0, over - 1)
end
redis.call('PEXPIRE', own, ttl)
return 1
`);

export class RedisJobOwners implements JobOwners {
  readonly #limits: OwnerLimits;
  readonly #local: MemoryJobOwners;

  constructor(
    private readonly link: RedisLink,
    limits: Partial<OwnerLimits> = {},
    clock?: Clock,
  ) {
    this.#limits = { ...DEFAULT_OWNER_LIMITS, ...limits };
    this.#local = new MemoryJobOwners(this.#limits, clock);
  }

  async record(kind: OwnedKind, id: string, caller: string): Promise<void> {
    if (this.link.up) {
      const { ttlMs, perCaller } = this.#limits;
      try {
        const taken = await this.link.eval(RECORD, [], [this.link.prefix, `${kind}:${id}`, caller, keySafe(caller), String(ttlMs), String(perCaller)]);
        // Another caller owns it: nothing is kept here either.
        if (Number(taken) !== 1) return;
      } catch {
        // Redis lost meanwhile: this replica still knows (below); the others do not.
      }
    }
    await this.#local.record(kind, id, caller);
  }

  async ownerOf(kind: OwnedKind, id: string): Promise<string | undefined> {
    const local = await this.#local.ownerOf(kind, id);
    if (local !== undefined) return local;
    try {
      const owner = await this.link.command(['GET', `${this.link.prefix}own:${kind}:${id}`]);
      return typeof owner === 'string' ? owner : undefined;
    } catch {
      throw new StateUnavailableError(`Who started this ${kind === 'job' ? 'job' : 'result'} is kept in the shared state, which cannot be reached now: try again in a moment.`);
    }
  }

  /** `own:doc:<job id>` holds `{owner, origin}` beside the owner record, with its ttl. */
  async recordDocument(jobId: string, caller: string, origin: string): Promise<void> {
    if (origin.length > MAX_DOCUMENT_RECORD_BYTES) return;
    await this.#local.recordDocument(jobId, caller, origin);
    if (!this.link.up) return;
    try {
      await this.link.command(['SET', `${this.link.prefix}own:doc:${jobId}`, JSON.stringify({ owner: caller, origin }), 'PX', String(this.#limits.ttlMs), 'NX']);
    } catch {
      // Redis lost meanwhile: this replica still knows.
    }
  }

  async documentOf(jobId: string, caller: string): Promise<string | undefined> {
    const local = await this.#local.documentOf(jobId, caller);
    if (local !== undefined) return local;
    try {
      const stored = await this.link.command(['GET', `${this.link.prefix}own:doc:${jobId}`]);
      if (typeof stored !== 'string') return undefined;
      const parsed = JSON.parse(stored) as { owner?: unknown; origin?: unknown };
      return parsed.owner === caller && typeof parsed.origin === 'string' ? parsed.origin : undefined;
    } catch {
      return undefined;
    }
  }
}
