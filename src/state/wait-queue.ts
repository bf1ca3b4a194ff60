/**
 * Callers waiting for a slot of a rate budget, served by priority then in arrival order. Each
 * wait ends at its deadline or on its signal and is then forgotten. The in-memory window and
 * the shared (Redis) one both queue their callers here; only where a slot comes from differs.
 */
import { abortReason, type Clock, type TimerHandle } from './clock.js';

export interface QueuedWait {
  signal?: AbortSignal;
  /** Absolute time (ms since epoch, on the clock) after which no slot is wanted. */
  deadline?: number;
  /** Lower goes first. */
  priority?: number;
}

interface Waiter<T> {
  priority: number;
  resolve: (value: T) => void;
  cleanup: () => void;
}

export class WaitQueue<T> {
  readonly #waiters: Array<Waiter<T>> = [];

  constructor(
    private readonly clock: Clock,
    /** The error a wait rejects with at its deadline. */
    private readonly deadlineError: () => Error,
  ) {}

  get length(): number {
    return this.#waiters.length;
  }

  /** Queues a caller; the promise settles when `serve` hands it a value, at its deadline, or on abort. */
  wait(options: QueuedWait = {}): Promise<T> {
    const { signal, deadline, priority = 1 } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (deadline !== undefined && deadline - this.clock.now() <= 0) return Promise.reject(this.deadlineError());
    return new Promise<T>((resolve, reject) => {
      let deadlineTimer: TimerHandle | undefined;
      const cleanup = () => {
        signal?.removeEventListener('abort', onAbort);
        if (deadlineTimer !== undefined) this.clock.clearTimeout(deadlineTimer);
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
      };
      const waiter: Waiter<T> = { priority, resolve, cleanup };
      const onAbort = () => {
        cleanup();
        reject(abortReason(signal!));
      };
      if (deadline !== undefined) {
        deadlineTimer = this.clock.setTimeout(() => {
          cleanup();
          reject(this.deadlineError());
        }, deadline - this.clock.now());
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      let at = this.#waiters.length;
      while (at > 0 && this.#waiters[at - 1]!.priority > priority) at--;
      this.#waiters.splice(at, 0, waiter);
    });
  }

  /** Hands a value to the first waiter; false when nobody waits (the value is then not used). */
  serve(value: T): boolean {
    const waiter = this.#waiters[0];
    if (!waiter) return false;
    waiter.cleanup();
    waiter.resolve(value);
    return true;
  }
}
