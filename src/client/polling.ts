/**
 * When to poll, and how many requests the process may send: one budget per request kind,
 * shared by every wait in the process, so many concurrent jobs never exceed Mindee's limits.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { MindeeAbortError, MindeeTimeoutError } from './errors.js';

export interface PollingOptions {
  /** Delay before the first status check of a job that was just enqueued. */
  firstPollMs: number;
  /** Shortest gap between two checks of one job. */
  minIntervalMs: number;
  /** Longest gap between two checks of one job. */
  maxIntervalMs: number;
  /** Each gap is this fraction of the time the job has run so far (bounded by min/max). */
  backoffRatio: number;
}

export const DEFAULT_POLLING: PollingOptions = {
  firstPollMs: 1000,
  minIntervalMs: 500,
  maxIntervalMs: 4000,
  backoffRatio: 0.15,
};

/**
 * Milliseconds to wait before the next status check of a job that has been running for
 * `elapsedMs` and was checked `polls` times. Short jobs are checked early and often; long jobs
 * back off, since each further second of processing says the job is a long one.
 */
export function nextPollDelay(elapsedMs: number, polls: number, options: PollingOptions): number {
  if (polls === 0) return Math.max(0, options.firstPollMs - elapsedMs);
  const gap = elapsedMs * options.backoffRatio;
  return Math.round(Math.min(options.maxIntervalMs, Math.max(options.minIntervalMs, gap)));
}

/** Sleeps, waking at once (with MindeeAbortError) when the signal aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw abortError(signal);
  if (ms <= 0) return;
  try {
    await sleepTimer(ms, undefined, { signal });
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw error;
  }
}

export function abortError(signal: AbortSignal): MindeeAbortError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error && reason.message ? `: ${reason.message}` : '';
  return new MindeeAbortError(`The operation was cancelled${why}.`, { cause: reason });
}

/**
 * A sliding one-minute window of request slots. `take` resolves when a slot is free, in the
 * order the callers asked; it fails rather than wait past the caller's deadline or abort.
 */
export class RateBudget {
  private readonly grants: number[] = [];
  private readonly waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  readonly perMinute: number;

  constructor(
    perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000,
  ) {
    if (!Number.isFinite(perMinute) || perMinute < 1) throw new RangeError('perMinute must be at least 1');
    this.perMinute = Math.floor(perMinute);
  }

  /** Requests granted within the last window. */
  inWindow(): number {
    this.expire();
    return this.grants.length;
  }

  async take(signal?: AbortSignal, deadline?: number): Promise<void> {
    if (signal?.aborted) throw abortError(signal);
    if (this.waiters.length === 0 && this.tryGrant()) return;
    await new Promise<void>((resolve, reject) => {
      let deadlineTimer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        signal?.removeEventListener('abort', onAbort);
        if (deadlineTimer) clearTimeout(deadlineTimer);
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      const grant = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (deadline !== undefined) {
        const left = deadline - this.now();
        const fail = () => {
          cleanup();
          reject(new MindeeTimeoutError('No request slot became free before the deadline (the shared rate budget is exhausted).'));
        };
        if (left <= 0) return fail();
        deadlineTimer = setTimeout(fail, left);
        deadlineTimer.unref?.();
      }
      this.waiters.push(grant);
      this.schedule();
    });
  }

  private expire(): void {
    const cutoff = this.now() - this.windowMs;
    while (this.grants.length > 0 && this.grants[0]! <= cutoff) this.grants.shift();
  }

  private tryGrant(): boolean {
    this.expire();
    if (this.grants.length >= this.perMinute) return false;
    this.grants.push(this.now());
    return true;
  }

  private schedule(): void {
    if (this.timer) return;
    while (this.waiters.length > 0 && this.tryGrant()) this.waiters[0]!();
    if (this.waiters.length === 0) return;
    const wait = Math.max(1, this.grants[0]! + this.windowMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, wait);
    this.timer.unref?.();
  }
}
