/**
 * A bound on how many of one kind of work run at once in this process, first come first served.
 * Used for results: when a thousand waiting calls end together, their results are fetched, parsed
 * and rendered a few at a time rather than all held in memory at once.
 */
import { abortError } from './transport.js';

export class Slots {
  #free: number;
  readonly #queue: Array<() => void> = [];

  constructor(readonly size: number) {
    this.#free = size;
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Runs `work` once a slot is free (or throws the signal's abort error while it waits). */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await work();
    } finally {
      this.#release();
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const granted = () => {
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        const at = this.#queue.indexOf(granted);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(abortError(signal!));
      };
      signal?.addEventListener('abort', aborted, { once: true });
      this.#queue.push(granted);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#free++;
  }
}
