/**
 * Callers waiting for a slot of a rate budget, served by priority then in arrival order. A
 * priority may be a function: a poll's worth grows while it waits (its job becomes likely done),
 * so it is read again when slots are handed out (at most once per millisecond for the whole
 * queue). Each wait ends at its deadline or on its signal and is then forgotten. The in-memory
 * window and the shared (Redis) one both queue their callers here; only where a slot comes
 * from differs.
 */
import { abortReason, type Clock, type TimerHandle } from './clock.js';

/** Lower goes first. A function is read again whenever the queue is served. */
export type Priority = number | (() => number);

export interface QueuedWait {
  signal?: AbortSignal;
  /** Absolute time (ms since epoch, on the clock) after which no slot is wanted. */
  deadline?: number;
  priority?: Priority;
}

interface Waiter<T> {
  priorityOf: () => number;
  priority: number;
  resolve: (value: T) => void;
  cleanup: () => void;
}

export function priorityNow(priority: Priority | undefined): number {
  return typeof priority === 'function' ? priority() : (priority ?? 1);
}

export class WaitQueue<T> {
  /** In arrival order. */
  readonly #waiters: Array<Waiter<T>> = [];
  #readAt = Number.NaN;

  constructor(
    private readonly clock: Clock,
    /** The error a wait rejects with at its deadline. */
    private readonly deadlineError: () => Error,
  ) {}

  get length(): number {
    return this.#waiters.length;
  }

  /** The priority of the caller served next, if any. */
  get nextPriority(): number | undefined {
    return this.#first()?.priority;
  }

  /** How many callers (at most `max`) have a priority of at most `priority` now. */
  countUpTo(priority: number, max: number): number {
    this.#read();
    let n = 0;
    for (const waiter of this.#waiters) if (waiter.priority <= priority && ++n >= max) break;
    return n;
  }

  /** Queues a caller; the promise settles when `serve` hands it a value, at its deadline, or on abort. */
  wait(options: QueuedWait = {}): Promise<T> {
    const { signal, deadline } = options;
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
      const priorityOf = () => priorityNow(options.priority);
      const waiter: Waiter<T> = { priorityOf, priority: priorityOf(), resolve, cleanup };
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
      this.#waiters.push(waiter);
    });
  }

  /** Hands a value to the first waiter; false when nobody waits (the value is then not used). */
  serve(value: T): boolean {
    const waiter = this.#first();
    if (!waiter) return false;
    waiter.cleanup();
    waiter.resolve(value);
    return true;
  }

  /** Reads every priority again, once per millisecond: a burst of grants reads them once. */
  #read(): void {
    const now = this.clock.now();
    if (now === this.#readAt) return;
    this.#readAt = now;
    for (const waiter of this.#waiters) waiter.priority = waiter.priorityOf();
  }

  #first(): Waiter<T> | undefined {
    this.#read();
    let first: Waiter<T> | undefined;
    for (const waiter of this.#waiters) if (!first || waiter.priority < first.priority) first = waiter;
    return first;
  }
}
