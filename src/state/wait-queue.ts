/**
 * Callers waiting for a slot of a rate budget, served by priority then in arrival order. A
 * priority may be a function: a poll's worth grows while it waits (its job becomes likely done),
 * so it is read again when slots are handed out (at most once per millisecond for the whole
 * queue). Waits of several callers sharing one budget (the callers of one key on a remote
 * server) get fair shares: among waits of the same priority class (the priority rounded down to
 * a half), the caller served least recently goes first — round robin — so one caller's flood of
 * requests never starves another's. Each wait ends at its deadline or on its signal and is then forgotten. The in-memory
 * window and the shared (Redis) one both queue their callers here; only where a slot comes
 * from differs.
 */
import { abortReason, type Clock, type TimerHandle } from '../lib/clock.js';

/** Lower goes first. A function is read again whenever the queue is served. */
export type Priority = number | (() => number);

export interface QueuedWait {
  signal?: AbortSignal;
  /** Absolute time (ms since epoch, on the clock) after which no slot is wanted. */
  deadline?: number;
  priority?: Priority;
  /** Who waits (a plain id: a key's or a caller's partition); waits without one are one caller. */
  caller?: string;
}

interface Waiter<T> {
  caller: string;
  priorityOf: () => number;
  priority: number;
  resolve: (value: T) => void;
  cleanup: () => void;
}

export function priorityNow(priority: Priority | undefined): number {
  return typeof priority === 'function' ? priority() : (priority ?? 1);
}

/** Priorities this close (in the same half) are one class, where callers take turns. */
const classOf = (priority: number) => Math.floor(priority * 2) / 2;

export class WaitQueue<T> {
  /** In arrival order. */
  readonly #waiters: Array<Waiter<T>> = [];
  /** When each caller with waits queued was last served (a count of serves); a caller never served has none. */
  readonly #served = new Map<string, number>();
  /** Waits queued per caller. */
  readonly #waiting = new Map<string, number>();
  #serves = 0;
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
        if (i < 0) return;
        this.#waiters.splice(i, 1);
        const left = (this.#waiting.get(waiter.caller) ?? 1) - 1;
        if (left > 0) this.#waiting.set(waiter.caller, left);
        else {
          // The turn of a caller with nothing left waiting is forgotten: the maps hold only callers that wait.
          this.#waiting.delete(waiter.caller);
          this.#served.delete(waiter.caller);
        }
      };
      const priorityOf = () => priorityNow(options.priority);
      const waiter: Waiter<T> = { caller: options.caller ?? '', priorityOf, priority: priorityOf(), resolve, cleanup };
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
      this.#waiting.set(waiter.caller, (this.#waiting.get(waiter.caller) ?? 0) + 1);
    });
  }

  /** Hands a value to the first waiter; false when nobody waits (the value is then not used). */
  serve(value: T): boolean {
    const waiter = this.#first();
    if (!waiter) return false;
    waiter.cleanup();
    if (this.#waiting.has(waiter.caller)) this.#served.set(waiter.caller, ++this.#serves);
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

  /**
   * The waiter served next: of the lowest priority class, the caller served least recently (one
   * never served first); of that caller's waits in the class, the lowest priority, then the first
   * to arrive.
   */
  #first(): Waiter<T> | undefined {
    this.#read();
    let first: Waiter<T> | undefined;
    let firstClass = Infinity;
    let firstTurn = Infinity;
    for (const waiter of this.#waiters) {
      const cls = classOf(waiter.priority);
      const turn = this.#served.get(waiter.caller) ?? -1;
      if (!first || cls < firstClass || (cls === firstClass && (turn < firstTurn || (turn === firstTurn && waiter.priority < first.priority)))) {
        first = waiter;
        firstClass = cls;
        firstTurn = turn;
      }
    }
    return first;
  }
}
