/**
 * One window of a shared rate budget (./rate-budget.ts): the GET or the POST limit of a scope.
 * Its callers queue in this process; it asks Redis for slots (lua/rate/take.lua), records their
 * ends (lua/rate/record.lua), and while Redis is away serves them from a local PacedWindow with
 * this process's share of the limit, written back to Redis when it returns.
 */
import type { Clock, TimerHandle } from '../../lib/clock.js';
import { PacedWindow, RateBudgetDeadlineError, REREAD_PRIORITIES_MS, SPECULATIVE_ABOVE, pacingOf, type BudgetUsage, type RateLimits, type RequestKind, type Settle, type TakeOptions } from '../rate-budget.js';
import { WaitQueue, type Priority } from '../wait-queue.js';
import type { RedisLink } from './link.js';

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

/** A slot granted locally while Redis was away; once written to Redis, its settle goes there too. */
interface LocalSlot {
  member?: string;
}

export class SharedWindow {
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
        reply = (await this.#link.eval('rateTake', [this.#key, this.#bucketKey, this.#link.processesKey], [
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
    void this.#link.sharedOr(() => this.#recordSlots([member, '0']), keep);
  }

  /** Writes slots into the shared window (lua/rate/record.lua): member, ms ago its request ended (-1: in flight) pairs. */
  #recordSlots(pairs: string[]): Promise<unknown> {
    return this.#link.eval('rateRecord', [this.#key], [String(this.#windowMs), String(this.#leaseMs), this.#now(), ...pairs]);
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
      await this.#recordSlots(pairs.slice(i, i + 2 * RECORDED_PER_CALL)).catch(() => {});
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
