/**
 * The rate budget of one scope, shared by every process through Redis: one atomic script
 * decides each grant for all of them, so the scope's limits hold for the deployment as a whole.
 * Each process queues its own callers (by priority, with their deadlines and signals) and asks
 * Redis for as many slots as it has callers waiting.
 *
 * Why a script and not rate-limiter-flexible: its Redis limiters count fixed windows from the
 * first request (a key with a TTL), so up to twice the limit can pass in one sliding minute
 * across a window boundary — exactly what Mindee's sliding window answers with 429 — and they
 * count a request when it is taken, while this budget must hold a slot for as long as its
 * request is in flight and count it from when it *ended* (an upload can reach Mindee long after
 * it was sent). That rule, and the steady pacing beside it, are the in-memory PacedWindow's;
 * the script below is the same rule, atomic on Redis's clock.
 *
 * When Redis is lost, each process falls back to a local PacedWindow with 1/N of the limits (N:
 * the processes alive at the last heartbeat), whose window starts charged with its 1/N share of
 * what the scope had used (as last seen): together the N processes then stay within the budget.
 * The configured budgets already sit 10 % under Mindee's limits, which absorbs the few slots
 * taken in the last instant before the loss. When Redis is back, the slots granted locally are
 * written into the shared window, and for one window more each process keeps to its share as
 * well (the others write theirs back when they reconnect), so the window after holds too.
 */
import type { Clock, TimerHandle } from '../../lib/clock.js';
import { PacedWindow, RateBudgetDeadlineError, REREAD_PRIORITIES_MS, SPECULATIVE_ABOVE, pacingOf, type BudgetUsage, type RateBudget, type RateLimits, type RequestKind, type Settle, type TakeOptions } from '../rate-budget.js';
import { WaitQueue, type Priority } from '../wait-queue.js';
import { LuaScript, type RedisLink } from './link.js';

/**
 * "now" of a script: Redis's TIME, which every replica shares; in tests only, the test's clock,
 * passed as ARGV[i] (empty in production).
 */
const nowFrom = (i: number) => `
local now
if ARGV[${i}] ~= nil and ARGV[${i}] ~= '' then now = tonumber(ARGV[${i}]) else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * KEYS: the window (a sorted set: one member per slot, scored by when its request ended, or by
 * when its lease runs out while it is in flight), the pacing bucket (a hash), the processes alive.
 * ARGV: limit, windowMs, burst, leaseMs, slots wanted, member prefix, ms a process counts as
 * alive, tokens speculative requests leave untouched, how many of the wanted are not speculative
 * (they come first), the test clock's now (empty: TIME).
 * Returns {granted, wait ms (-1: every slot in flight), slots in the window, processes alive}.
 */
const TAKE = new LuaScript(`${nowFrom(10)}
local limit, windowMs, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lease, want, prefix = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local reserve, likely = tonumber(ARGV[8]), tonumber(ARGV[9])
local function needed(n) if n < likely then return 1 else return 1 + reserve end end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - windowMs)
local used = redis.call('ZCARD', KEYS[1])
local bucket = redis.call('HMGET', KEYS[2], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * limit / windowMs)
local granted = 0
while granted < want and used < limit and tokens >= needed(granted) do
  granted = granted + 1
  used = used + 1
  tokens = tokens - 1
  redis.call('ZADD', KEYS[1], now + lease, prefix .. granted)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[7]))
local processes = redis.call('ZCARD', KEYS[3])
redis.call('HSET', KEYS[2], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[2], windowMs * 2)
redis.call('PEXPIRE', KEYS[1], windowMs + lease)
local wait = 0
if granted < want then
  if used >= limit then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    local ends = tonumber(oldest[2])
    if ends > now then wait = -1 else wait = ends + windowMs - now end
  end
  local short = needed(granted) - tokens
  if short > 0 and wait >= 0 then wait = math.max(wait, math.ceil(short * windowMs / limit)) end
end
return {granted, wait, used, processes}
`);

/**
 * Records slots: each member with how many ms ago its request ended (-1: still in flight, held
 * for its lease). Settles, the settles that failed while Redis was away, and the slots granted
 * locally meanwhile all go through it. ARGV: windowMs, leaseMs, the test clock's now (empty:
 * TIME), then member, ago pairs.
 */
const RECORD = new LuaScript(`${nowFrom(3)}
local windowMs, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 4, #ARGV, 2 do
  local ago = tonumber(ARGV[i + 1])
  if ago < 0 then
    redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
  elseif ago < windowMs then
    redis.call('ZADD', KEYS[1], now - ago, ARGV[i])
  end
end
redis.call('PEXPIRE', KEYS[1], windowMs + lease)
return 1
`);

/** Slots asked for in one call: callers beyond wait for the next. */
const MAX_PER_CALL = 64;
/** While every slot is in flight elsewhere, how often to ask again (a settle there frees one). */
const IN_FLIGHT_RETRY_MS = 100;
/** Slots written to Redis in one call when it is back. */
const RECORDED_PER_CALL = 500;
/** Settles kept while Redis is away, to write when it is back. */
const MAX_PENDING = 10_000;

export interface SharedBudgetOptions {
  link: RedisLink;
  /** The scope's name in keys: safe characters only. */
  scope: string;
  limits: Required<RateLimits>;
  /** The longest a request can run: a slot whose process died is freed after it. */
  leaseMs: number;
  clock: Clock;
  /** Tests only: the scripts take "now" from this clock instead of Redis's TIME. */
  scriptClock?: Clock;
}

export class RedisRateBudget implements RateBudget {
  readonly #windows: Record<RequestKind, SharedWindow>;

  constructor(options: SharedBudgetOptions) {
    this.#windows = {
      get: new SharedWindow('get', options.limits.getPerMinute, options),
      post: new SharedWindow('post', options.limits.postPerMinute, options),
    };
  }

  take(kind: RequestKind, options?: TakeOptions): Promise<Settle> {
    return this.#windows[kind].take(options);
  }

  tryTake(kind: RequestKind, options: { priority?: Priority } = {}): Promise<Settle | null> {
    return this.#windows[kind].tryTake(options.priority);
  }

  usage(): Record<RequestKind, BudgetUsage> {
    return { get: this.#windows.get.usage(), post: this.#windows.post.usage() };
  }

  /** Stops following the link: the budget is forgotten. */
  dispose(): void {
    this.#windows.get.dispose();
    this.#windows.post.dispose();
  }
}

/** A slot granted locally while Redis was away; once written to Redis, its settle goes there too. */
interface LocalSlot {
  member?: string;
}

class SharedWindow {
  readonly #queue: WaitQueue<Settle>;
  readonly #link: RedisLink;
  readonly #clock: Clock;
  readonly #key: string;
  readonly #bucketKey: string;
  readonly #windowMs: number;
  readonly #pacing: { burst: number; speculativeBurst: number };
  readonly #leaseMs: number;
  readonly #scriptClock: Clock | undefined;
  #calls = 0;
  #pumping = false;
  /** The pump's round in progress. */
  #round: Promise<void> = Promise.resolve();
  #again = false;
  #timer: TimerHandle | undefined;
  /** The last wait was for a slot in flight: a local settle may free it. */
  #blockedInFlight = false;
  /** Slots in the scope's window at the last answer from Redis. */
  #lastUsed: number | undefined;
  #fallback: PacedWindow | undefined;
  /** When the window after Redis's return ends (see #transition). */
  #transitionUntil = 0;
  /** Slots the fallback was charged with on a guess (the oldest in its window). */
  #guessed = 0;
  readonly #localInFlight = new Set<LocalSlot>();
  readonly #pending: Array<{ member: string; endedAt: number }> = [];
  /** Local slots being written to Redis: no grant from Redis until they are. */
  #restoring: Promise<void> | undefined;

  constructor(
    readonly kind: RequestKind,
    readonly limit: number,
    options: SharedBudgetOptions,
  ) {
    this.#link = options.link;
    this.#clock = options.clock;
    this.#key = options.link.key(`rate:${options.scope}:${kind}`);
    this.#bucketKey = `${this.#key}:pace`;
    this.#windowMs = options.limits.windowMs;
    this.#pacing = pacingOf(kind, limit);
    this.#leaseMs = options.leaseMs;
    this.#scriptClock = options.scriptClock;
    this.#queue = new WaitQueue(this.#clock, () => new RateBudgetDeadlineError(kind));
    this.dispose = options.link.onChange((up) => {
      if (up) return this.#restore();
      // Its share of what the scope had used is charged now, so that it is written back to Redis
      // on its return even if this process sends nothing meanwhile.
      if (this.#lastUsed !== undefined) this.#fallbackWindow();
      this.#pump(true);
    });
  }

  readonly dispose: () => void;

  take(options: TakeOptions = {}): Promise<Settle> {
    const granted = this.#queue.wait(options);
    this.#pump(this.#timer === undefined);
    return granted;
  }

  /**
   * One round of asking for a slot (Redis, or the local share), then null if none was granted.
   * It queues for that round like any caller: callers of higher priority already waiting come first.
   */
  async tryTake(priority?: Priority): Promise<Settle | null> {
    const asking = new AbortController();
    let granted: Settle | null = null;
    const waiting = this.#queue.wait({ priority, signal: asking.signal }).then(
      (settle) => {
        granted = settle;
      },
      () => undefined,
    );
    this.#pump(true);
    for (let rounds = 0; this.#pumping && rounds < 10; rounds++) await this.#round;
    asking.abort();
    await waiting;
    return granted;
  }

  /** The test clock's now for a script, or '' for Redis's TIME. */
  #now(): string {
    return this.#scriptClock ? String(this.#scriptClock.now()) : '';
  }

  usage(): BudgetUsage {
    const used = this.#fallback ? this.#fallback.usage().inWindow : (this.#lastUsed ?? 0);
    return { perMinute: this.limit, inWindow: used, queued: this.#queue.length };
  }

  /** Serves waiting callers from Redis, or from the local fallback while Redis is away. */
  #pump(now: boolean): void {
    if (!now) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#pumping = true;
    this.#round = this.#serve()
      .then((wait) => {
        if (wait !== null && !this.#again) this.#timer = this.#clock.setTimeout(() => {
          this.#timer = undefined;
          this.#pump(true);
        }, Math.max(1, Math.ceil(wait)));
      })
      // Never expected: a bug here must not leave callers waiting forever, nor crash the process.
      .catch(() => {
        this.#timer ??= this.#clock.setTimeout(() => {
          this.#timer = undefined;
          this.#pump(true);
        }, IN_FLIGHT_RETRY_MS);
      })
      .finally(() => {
        this.#pumping = false;
        if (this.#again) {
          this.#again = false;
          this.#pump(true);
        }
      });
  }

  /** Grants what it can; returns how long until it is worth asking again (null: nobody waits, or a settle will ask). */
  async #serve(): Promise<number | null> {
    while (this.#queue.length > 0) {
      if (this.#restoring) await this.#restoring;
      if (!this.#link.up) return this.#serveLocally();
      const transition = this.#transition();
      // Its local share is used up for now: Redis is not asked (a slot it granted would go back unused).
      const shareWait = transition ? transition.msUntilGrant(this.#queue.nextPriority) : 0;
      if (shareWait > 0) {
        this.#blockedInFlight = !Number.isFinite(shareWait);
        return Number.isFinite(shareWait) ? Math.min(shareWait, REREAD_PRIORITIES_MS) : null;
      }
      const want = Math.min(this.#queue.length, MAX_PER_CALL);
      const prefix = `${this.#link.id}:${++this.#calls}:`;
      let reply: unknown[];
      try {
        reply = (await this.#link.eval(TAKE, [this.#key, this.#bucketKey, this.#link.processesKey], [
          String(this.limit),
          String(this.#windowMs),
          String(this.#pacing.burst),
          String(this.#leaseMs),
          String(want),
          prefix,
          String(this.#link.aliveMs),
          String(this.#pacing.burst - this.#pacing.speculativeBurst),
          String(this.#queue.countUpTo(SPECULATIVE_ABOVE, want)),
          this.#now(),
        ])) as unknown[];
      } catch {
        continue; // the link is down now: served locally
      }
      const [granted, wait, used, processes] = reply.map(Number) as [number, number, number, number];
      this.#lastUsed = used;
      this.#link.processes = Math.max(1, processes);
      let localWait: number | null = null;
      for (let i = 1; i <= granted; i++) {
        const member = `${prefix}${i}`;
        const unused = () => void this.#link.command(['ZREM', this.#key, member]).catch(() => {});
        const local = transition ? transition.tryGrant(this.#queue.nextPriority) : null;
        if (transition && !local) {
          unused();
          localWait = transition.msUntilGrant(this.#queue.nextPriority);
          continue;
        }
        // A caller that left while Redis answered: its slot was never used.
        if (!this.#queue.serve(this.#settleOf(member, local))) {
          unused();
          local?.();
        }
      }
      if (localWait !== null) {
        this.#blockedInFlight = !Number.isFinite(localWait);
        return Number.isFinite(localWait) ? localWait : null;
      }
      if (granted < want) {
        this.#blockedInFlight = wait < 0;
        return wait < 0 ? IN_FLIGHT_RETRY_MS : Math.min(wait, REREAD_PRIORITIES_MS);
      }
    }
    return null;
  }

  #serveLocally(): number | null {
    const fallback = this.#fallbackWindow();
    while (this.#queue.length > 0) {
      const settle = fallback.tryGrant(this.#queue.nextPriority);
      if (!settle) break;
      const slot: LocalSlot = {};
      this.#localInFlight.add(slot);
      this.#queue.serve(() => {
        if (!this.#localInFlight.delete(slot)) return;
        settle();
        if (slot.member) this.#record(slot.member);
        this.#pump(this.#blockedInFlight);
      });
    }
    if (this.#queue.length === 0) return null;
    const wait = fallback.msUntilGrant(this.#queue.nextPriority);
    this.#blockedInFlight = !Number.isFinite(wait);
    // Every local slot in flight: its settle pumps again.
    return Number.isFinite(wait) ? Math.min(wait, REREAD_PRIORITIES_MS) : null;
  }

  #fallbackWindow(): PacedWindow {
    if (this.#fallback) return this.#fallback;
    const share = Math.max(1, this.#link.processes);
    const limit = Math.max(1, Math.floor(this.limit / share));
    const { burst, speculativeBurst } = pacingOf(this.kind, limit);
    const window = new PacedWindow(limit, this.kind, this.#clock, this.#windowMs, burst, speculativeBurst);
    // Unknown use counts as a full window: the safe side (but it is a guess, not written back).
    // A guess is spread over the window just past, so slots free steadily instead of all a window
    // from now (which would grant nothing for a minute); known use is charged now.
    const charged = Math.ceil((this.#lastUsed ?? this.limit) / share);
    const now = this.#clock.now();
    if (this.#lastUsed === undefined) for (let i = 1; i <= charged; i++) window.occupy(1, now - this.#windowMs + (i * this.#windowMs) / charged);
    else window.occupy(charged, now);
    this.#guessed = this.#lastUsed === undefined ? charged : 0;
    this.#fallback = window;
    return window;
  }

  #settleOf(member: string, local: Settle | null): Settle {
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      local?.();
      this.#record(member);
      this.#pump(this.#blockedInFlight);
    };
  }

  /** Records that a slot's request ended now; kept for later while Redis is away. */
  #record(member: string): void {
    const endedAt = this.#clock.now();
    const keep = () => {
      if (this.#pending.length >= MAX_PENDING) this.#pending.shift();
      this.#pending.push({ member, endedAt });
    };
    if (!this.#link.up) return keep();
    this.#link.eval(RECORD, [this.#key], [String(this.#windowMs), String(this.#leaseMs), this.#now(), member, '0']).catch(keep);
  }

  /** Redis is back: write what happened meanwhile into the shared window, then serve from it. */
  #restore(): void {
    this.#restoring ??= this.#writeLocalSlots().finally(() => {
      this.#restoring = undefined;
      this.#pump(true);
    });
  }

  async #writeLocalSlots(): Promise<void> {
    const now = this.#clock.now();
    const prefix = `${this.#link.id}:local${++this.#calls}:`;
    let n = 0;
    // Slots still in flight go in the first call: their settles, sent after it, must land after it.
    const pairs: string[] = [];
    for (const slot of this.#localInFlight) {
      slot.member = `${prefix}${++n}`;
      pairs.push(slot.member, '-1');
    }
    const ended = (this.#fallback?.endedInWindow() ?? []).sort((x, y) => x - y).slice(this.#guessed);
    for (const endedAt of ended) pairs.push(`${prefix}${++n}`, String(Math.max(0, now - endedAt)));
    for (const { member, endedAt } of this.#pending.splice(0)) pairs.push(member, String(now - endedAt));
    for (let i = 0; i < pairs.length; i += 2 * RECORDED_PER_CALL) {
      await this.#link.eval(RECORD, [this.#key], [String(this.#windowMs), String(this.#leaseMs), this.#now(), ...pairs.slice(i, i + 2 * RECORDED_PER_CALL)]).catch(() => {});
    }
    if (this.#fallback) this.#transitionUntil = this.#clock.now() + this.#windowMs;
  }

  /**
   * For one window after Redis is back, each process also keeps to its local share: the others
   * may not have written their local slots back yet (each reconnects on its own), so Redis alone
   * does not know the whole window until then.
   */
  #transition(): PacedWindow | undefined {
    if (this.#fallback && this.#clock.now() >= this.#transitionUntil) this.#fallback = undefined;
    return this.#fallback;
  }
}
