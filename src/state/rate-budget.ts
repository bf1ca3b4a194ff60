/**
 * How many requests may go to Mindee: Mindee counts 200 POST and 1 200 GET a minute per
 * organisation and answers 429 beyond. Every request takes a slot of the budget of its kind
 * before it is sent and settles it when it has ended. The interface is what the client needs;
 * the in-memory implementation serves one process (a shared one backs it with Redis).
 */
import { abortReason, systemClock, type Clock, type TimerHandle } from './clock.js';
import { WaitQueue } from './wait-queue.js';

export type RequestKind = 'get' | 'post';

export interface TakeOptions {
  signal?: AbortSignal;
  /** Absolute time (ms since epoch, on the budget's clock) after which no slot is wanted. */
  deadline?: number;
  /** Place in the queue when slots are short: lower goes first (results 0, polls 1–2). */
  priority?: number;
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
  usage(): Record<RequestKind, BudgetUsage>;
}

export interface RateLimits {
  postPerMinute: number;
  getPerMinute: number;
  /** The window the limits count over; 60 000 ms, as Mindee's. */
  windowMs?: number;
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
 * Waiting callers are served by priority, then in arrival order.
 */
export class PacedWindow {
  readonly perMinute: number;
  readonly burst: number;
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
  ) {
    if (!Number.isFinite(perMinute) || perMinute < 1) throw new RangeError('perMinute must be at least 1');
    this.perMinute = Math.floor(perMinute);
    this.burst = Math.max(1, Math.floor(burst ?? Math.ceil(this.perMinute / 20)));
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
      const settle = this.tryGrant();
      if (settle) return Promise.resolve(settle);
    }
    const granted = this.#queue.wait(options);
    this.#schedule();
    return granted;
  }

  /** A slot now, or null; it does not queue (the shared budget queues its callers itself). */
  tryGrant(): Settle | null {
    this.#expire();
    this.#refill();
    if (this.#grants.size >= this.perMinute || this.#tokens < 1) return null;
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

  /** How long until `tryGrant` may succeed; Infinity while every slot is in flight (a settle frees one). */
  msUntilGrant(): number {
    this.#expire();
    this.#refill();
    let wait = 0;
    if (this.#grants.size >= this.perMinute) {
      let oldest = Number.POSITIVE_INFINITY;
      for (const grant of this.#grants) oldest = Math.min(oldest, grant.at);
      if (!Number.isFinite(oldest)) return Number.POSITIVE_INFINITY;
      wait = oldest + this.windowMs - this.clock.now();
    }
    if (this.#tokens < 1) wait = Math.max(wait, ((1 - this.#tokens) * this.windowMs) / this.perMinute);
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
      const settle = this.tryGrant();
      if (!settle) break;
      // A waiter that left between the check and here cannot happen: serve is synchronous.
      this.#queue.serve(settle);
    }
    if (this.#queue.length === 0) return;
    const wait = this.msUntilGrant();
    // Every slot in flight: the next settle schedules again.
    if (!Number.isFinite(wait)) return;
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#schedule();
    }, Math.max(1, Math.ceil(wait)));
  }
}

/**
 * The burst each kind may take at once. Enqueues use the whole window: a POST is one per
 * document, and documents dropped at once are all owed an enqueue now, which Mindee's sliding
 * window allows. Polls stay paced: the planner spreads them, and a crowd of them must not spend
 * the minute's GETs in a second and leave the results that follow waiting.
 */
export function burstOf(kind: RequestKind, perMinute: number): number | undefined {
  return kind === 'post' ? perMinute : undefined;
}

/** The budget of one process: a paced window per request kind. */
export class MemoryRateBudget implements RateBudget {
  readonly #windows: Record<RequestKind, PacedWindow>;

  constructor(limits: RateLimits = DEFAULT_RATE_LIMITS, clock: Clock = systemClock) {
    this.#windows = {
      get: new PacedWindow(limits.getPerMinute, 'get', clock, limits.windowMs, burstOf('get', limits.getPerMinute)),
      post: new PacedWindow(limits.postPerMinute, 'post', clock, limits.windowMs, burstOf('post', limits.postPerMinute)),
    };
  }

  take(kind: RequestKind, options?: TakeOptions): Promise<Settle> {
    return this.#windows[kind].take(options);
  }

  usage(): Record<RequestKind, BudgetUsage> {
    return { get: this.#windows.get.usage(), post: this.#windows.post.usage() };
  }
}
