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
 * lua/rate/take.lua is the same rule, atomic on Redis's clock.
 *
 * When Redis is lost, each process falls back to a local PacedWindow with 1/N of the limits (N:
 * the processes alive at the last heartbeat), whose window starts charged with its 1/N share of
 * what the scope had used (as last seen): together the N processes then stay within the budget.
 * The configured budgets already sit 10 % under Mindee's limits, which absorbs the few slots
 * taken in the last instant before the loss. When Redis is back, the slots granted locally are
 * written into the shared window, and for one window more each process keeps to its share as
 * well (the others write theirs back when they reconnect), so the window after holds too.
 */
import type { BudgetUsage, RateBudget, RequestKind, Settle, TakeOptions } from '../rate-budget.js';
import type { Priority } from '../wait-queue.js';
import { SharedWindow, type SharedBudgetOptions } from './rate-window.js';

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

