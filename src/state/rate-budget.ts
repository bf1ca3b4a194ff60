/**
 * How many requests may go to Mindee: Mindee counts 200 POST and 1 200 GET a minute per
 * organisation and answers 429 beyond. Every request takes a slot of the budget of its kind
 * before it is sent and settles it when it has ended. The interface is what the client needs;
 * the in-memory implementation serves one process (a shared one backs it with Redis).
 */
import { abortReason, systemClock, type Clock, type TimerHandle } from './clock.js';

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

interface Waiter {
  priority: number;
  grant: () => boolean;
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
  readonly #waiters: Waiter[] = [];
  #tokens: number;
  #refilledAt: number;
  #timer: TimerHandle;

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
  }

  usage(): BudgetUsage {
    this.#expire();
    return { perMinute: this.perMinute, inWindow: this.#grants.size, queued: this.#waiters.length };
  }

  take(options: TakeOptions = {}): Promise<Settle> {
    const { signal, deadline, priority = 1 } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#waiters.length === 0) {
      const settle = this.#tryGrant();
      if (settle) return Promise.resolve(settle);
    }
    return new Promise<Settle>((resolve, reject) => {
      let deadlineTimer: TimerHandle;
      const cleanup = () => {
        signal?.removeEventListener('abort', onAbort);
        if (deadlineTimer !== undefined) this.clock.clearTimeout(deadlineTimer);
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
      };
      const waiter: Waiter = {
        priority,
        grant: () => {
          const settle = this.#tryGrant();
          if (!settle) return false;
          cleanup();
          resolve(settle);
          return true;
        },
      };
      const onAbort = () => {
        cleanup();
        reject(abortReason(signal!));
      };
      if (deadline !== undefined) {
        const left = deadline - this.clock.now();
        if (left <= 0) return reject(new RateBudgetDeadlineError(this.kind));
        deadlineTimer = this.clock.setTimeout(() => {
          cleanup();
          reject(new RateBudgetDeadlineError(this.kind));
        }, left);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      let at = this.#waiters.length;
      while (at > 0 && this.#waiters[at - 1]!.priority > priority) at--;
      this.#waiters.splice(at, 0, waiter);
      this.#schedule();
    });
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

  #tryGrant(): Settle | null {
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

  #schedule(): void {
    if (this.#timer !== undefined) return;
    while (this.#waiters.length > 0 && this.#waiters[0]!.grant()) {
      // granted: the waiter removed itself
    }
    if (this.#waiters.length === 0) return;
    let wait = 0;
    if (this.#grants.size >= this.perMinute) {
      let oldest = Number.POSITIVE_INFINITY;
      for (const grant of this.#grants) oldest = Math.min(oldest, grant.at);
      // Every slot in flight: the next settle schedules again.
      if (!Number.isFinite(oldest)) return;
      wait = oldest + this.windowMs - this.clock.now();
    }
    if (this.#tokens < 1) wait = Math.max(wait, ((1 - this.#tokens) * this.windowMs) / this.perMinute);
    this.#timer = this.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#schedule();
    }, Math.max(1, Math.ceil(wait)));
  }
}

/** The budget of one process: a paced window per request kind. */
export class MemoryRateBudget implements RateBudget {
  readonly #windows: Record<RequestKind, PacedWindow>;

  constructor(limits: RateLimits = DEFAULT_RATE_LIMITS, clock: Clock = systemClock) {
    this.#windows = {
      get: new PacedWindow(limits.getPerMinute, 'get', clock, limits.windowMs),
      post: new PacedWindow(limits.postPerMinute, 'post', clock, limits.windowMs),
    };
  }

  take(kind: RequestKind, options?: TakeOptions): Promise<Settle> {
    return this.#windows[kind].take(options);
  }

  usage(): Record<RequestKind, BudgetUsage> {
    return { get: this.#windows.get.usage(), post: this.#windows.post.usage() };
  }
}
