/**
 * How many requests may go to Mindee: Mindee counts 200 POST and 1 200 GET a minute per
 * organisation and answers 429 beyond. Every request takes a slot of the budget of its kind
 * before it is sent and settles it when it has ended. The interface is what the client needs;
 * the in-memory implementation serves one process (a shared one backs it with Redis).
 */
import { abortReason, systemClock, type Clock, type TimerHandle } from '../lib/clock.js';
import { priorityNow, WaitQueue, type Priority } from './wait-queue.js';

export type RequestKind = 'get' | 'post';

export interface TakeOptions {
  signal?: AbortSignal;
  /** Absolute time (ms since epoch, on the budget's clock) after which no slot is wanted. */
  deadline?: number;
  /**
   * Place in the queue when slots are short: lower goes first (results 0, polls 1–2; see
   * SPECULATIVE_ABOVE). A function is read again while the caller waits.
   */
  priority?: Priority;
  /**
   * Who asks (a plain id: the partition of a key, or of one caller of a shared key). Callers
   * waiting at once get fair shares of the budget: see wait-queue.ts.
   */
  caller?: string;
}

/** Ends a slot: call it once the request has ended (answered, failed or aborted). */
export type Settle = () => void;

export interface BudgetUsage {
  perMinute: number;
  /** Slots in flight or ended within the last window. */
  inWindow: number;
  /** Callers waiting for a slot. */
  queued: number;
}

export interface RateBudget {
  /** Waits for a slot. Rejects with RateBudgetDeadlineError at the deadline, with the signal's reason on abort. */
  take(kind: RequestKind, options?: TakeOptions): Promise<Settle>;
  /** A slot now, or null: asks once (one round trip to a shared budget) and never waits longer. */
  tryTake(kind: RequestKind, options?: { priority?: Priority }): Promise<Settle | null>;
  usage(): Record<RequestKind, BudgetUsage>;
}

export interface RateLimits {
  postPerMinute: number;
  getPerMinute: number;
  /** The window the limits count over; 60 000 ms, as Mindee's. */
  windowMs?: number;
}

/**
 * Above this priority a request is speculative: a poll of a job not known to be likely done. At
 * or below it, a caller is owed an answer or likely to get one: a result of a finished job, a
 * retry, a status asked for by a caller, a poll of a job most likely done.
 */
export const SPECULATIVE_ABOVE = 1.5;
/** A queue waiting for tokens looks again this often: a waiting poll may have become likely done. */
export const REREAD_PRIORITIES_MS = 500;

export interface Pacing {
  /** Slots that may go at once. */
  burst: number;
  /** Of those, what speculative requests may take at once: the rest is kept for the others. */
  speculativeBurst: number;
}

/**
 * How each kind is paced. Enqueues use the whole window: each is owed to a document, and
 * documents dropped at once may all be enqueued now, as Mindee's sliding window allows. GETs
 * keep a small burst for speculative polls, which the planner spreads; what they leave — up to
 * half the window — stays for results and for polls of jobs likely done, so that when many jobs
 * finish together their results are fetched at once rather than at the steady rate.
 */
export function pacingOf(kind: RequestKind, perMinute: number): Pacing {
  const steady = Math.max(1, Math.ceil(perMinute / 20));
  if (kind === 'post') return { burst: perMinute, speculativeBurst: perMinute };
  return { burst: Math.max(steady, Math.floor(perMinute / 2)), speculativeBurst: steady };
}

/** Mindee's documented limits per organisation are 200 POST and 1 200 GET a minute; stay under. */
export const DEFAULT_RATE_LIMITS: Readonly<RateLimits> = Object.freeze({ postPerMinute: 180, getPerMinute: 1080 });

/** No slot became free before the caller's deadline: nothing was sent. */
export class RateBudgetDeadlineError extends Error {
  override name = 'RateBudgetDeadlineError';
  constructor(readonly kind: RequestKind) {
    super(`No ${kind.toUpperCase()} slot of the rate budget became free before the deadline.`);
  }
}

/**
 * The budget of one request kind. Two rules hold together:
 * - a sliding window: at most `perMinute` requests per window, a slot counting from when its
 *   request *ended* (`settle`) — the API counts a request when it receives it, which may be well
 *   after it was sent (a big upload), so this window never ends before the API's does;
 * - pacing: slots refill steadily (perMinute per window, `burst` at most at once), so a crowd
 *   of callers does not spend a minute's budget in a second and then starve.
 * Waiting callers are served by priority, then in turn by caller, then in arrival order.
 */
export class PacedWindow {
  readonly perMinute: number;
  readonly burst: number;
  /** Tokens speculative requests leave untouched. */
  readonly reserve: number;
  readonly #grants = new Set<{ at: number }>();
  readonly #queue: WaitQueue<Settle>;
  #tokens: number;
  #refilledAt: number;
  #timer: TimerHandle | undefined;

  constructor(
    perMinute: number,
    readonly kind: RequestKind,
    private readonly clock: Clock = systemClock,
    private readonly windowMs = 60_000,
    burst?: number,
    /** What speculative requests may take at once (default: the whole burst). */
    speculativeBurst?: number,
  ) {
    if (!Number.isFinite(perMinute) || perMinute < 1) throw new RangeError('perMinute must be at least 1');
    this.perMinute = Math.floor(perMinute);
    this.burst = Math.max(1, Math.floor(burst ?? Math.ceil(this.perMinute / 20)));
    this.reserve = Math.max(0, this.burst - Math.max(1, Math.floor(speculativeBurst ?? this.burst)));
    this.#tokens = this.burst;
    this.#refilledAt = clock.now();
    this.#queue = new WaitQueue(clock, () => new RateBudgetDeadlineError(kind));
  }

  usage(): BudgetUsage {
    this.#expire();
    return { perMinute: this.perMinute, inWindow: this.#grants.size, queued: this.#queue.length };
  }

  take(options: TakeOptions = {}): Promise<Settle> {
    if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
    if (this.#queue.length === 0) {
      const settle = this.tryGrant(priorityNow(options.priority));
      if (settle) return Promise.resolve(settle);
    }
    const granted = this.#queue.wait(options);
    this.#schedule();
    return granted;
  }

  /** A slot now for a caller of this priority, or null; it does not queue (the shared budget queues its callers itself). */
  tryGrant(priority = 1): Settle | null {
    this.#expire();
    this.#refill();
    if (this.#grants.size >= this.perMinute || this.#tokens < this.#tokensNeeded(priority)) return null;
    this.#tokens -= 1;
    // In flight: it holds its slot until it ends, and a window after.
    const grant = { at: Number.POSITIVE_INFINITY };
    this.#grants.add(grant);
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      grant.at = this.clock.now();
      this.#schedule();
    };
  }

  #tokensNeeded(priority: number): number {
    return priority > SPECULATIVE_ABOVE ? 1 + this.reserve : 1;
  }

  /** How long until `tryGrant` may succeed; Infinity while every slot is in flight (a settle frees one). */
  msUntilGrant(priority = 1): number {
    this.#expire();
    this.#refill();
    let wait = 0;
    if (this.#grants.size >= this.perMinute) {
      let oldest = Number.POSITIVE_INFINITY;
      for (const grant of this.#grants) oldest = Math.min(oldest, grant.at);
      if (!Number.isFinite(oldest)) return Number.POSITIVE_INFINITY;
      wait = oldest + this.windowMs - this.clock.now();
    }
    const needed = this.#tokensNeeded(priority);
    if (this.#tokens < needed) wait = Math.max(wait, ((needed - this.#tokens) * this.windowMs) / this.perMinute);
    return Math.max(0, wait);
  }

  /** Counts `count` slots as ended at `at`: requests made elsewhere that this window must leave room for. */
  occupy(count: number, at: number): void {
    for (let i = 0; i < Math.min(count, this.perMinute); i++) this.#grants.add({ at });
  }

  /** When each slot still in the window ended (in-flight slots are not listed). */
  endedInWindow(): number[] {
    this.#expire();
    return [...this.#grants].map((g) => g.at).filter(Number.isFinite);
  }

  #expire(): void {
    const cutoff = this.clock.now() - this.windowMs;
    for (const grant of this.#grants) if (grant.at <= cutoff) this.#grants.delete(grant);
  }

  #refill(): void {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#refilledAt) * this.perMinute) / this.windowMs);
    this.#refilledAt = now;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    while (this.#queue.length > 0) {
      const settle = this.tryGrant(this.#queue.nextPriority);
      if (!settle) break;
      // A waiter that left between the check and here cannot happen: serve is synchronous.
      this.#queue.serve(settle);
    }
    if (this.#queue.length === 0) return;
    const wait = this.msUntilGrant(this.#queue.nextPriority);
    // Every slot in flight: the next settle schedules again.
    if (!Number.isFinite(wait)) return;
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#schedule();
    }, Math.max(1, Math.ceil(Math.min(wait, REREAD_PRIORITIES_MS))));
  }
}

/** The budget of one process: a paced window per request kind. */
export class MemoryRateBudget implements RateBudget {
  readonly #windows: Record<RequestKind, PacedWindow>;

  constructor(limits: RateLimits = DEFAULT_RATE_LIMITS, clock: Clock = systemClock) {
    const window = (kind: RequestKind, perMinute: number) => {
      const { burst, speculativeBurst } = pacingOf(kind, perMinute);
      return new PacedWindow(perMinute, kind, clock, limits.windowMs, burst, speculativeBurst);
    };
    this.#windows = { get: window('get', limits.getPerMinute), post: window('post', limits.postPerMinute) };
  }

  take(kind: RequestKind, options?: TakeOptions): Promise<Settle> {
    return this.#windows[kind].take(options);
  }

  tryTake(kind: RequestKind, options: { priority?: Priority } = {}): Promise<Settle | null> {
    const window = this.#windows[kind];
    return Promise.resolve(window.usage().queued > 0 ? null : window.tryGrant(priorityNow(options.priority)));
  }

  usage(): Record<RequestKind, BudgetUsage> {
    return { get: this.#windows.get.usage(), post: this.#windows.post.usage() };
  }
}
