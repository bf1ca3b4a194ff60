/**
 * Completions of jobs, from any source — a poll of this process, a webhook, another process —
 * delivered to every wait for that job at once. Each completion is kept a while, so a wait that
 * starts after it still ends at once: subscribing replays it. The in-memory implementation
 * serves one process; a shared one relays events between processes.
 */
import { BoundedMap } from '../lib/bounded-map.js';
import { KeyedListeners } from '../lib/listeners.js';

export interface JobEvent {
  jobId: string;
  status: 'Processed' | 'Failed';
  /** Where it was seen. */
  source: 'poll' | 'webhook' | 'peer';
  /** The job as the API describes it (`{job: …}` JSON), when the source had it. */
  job?: unknown;
}

export interface JobEvents {
  publish(event: JobEvent): void;
  /**
   * Calls `listener` for each completion of `jobId` until the returned function is called; a
   * completion kept from before is replayed first.
   */
  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void;
  /** The completion of `jobId` this process saw last (the one a new wait replays), if any. */
  last(jobId: string): JobEvent | undefined;
}

/** Completions kept per process, for waits that start after them. */
export const KEPT_COMPLETIONS = 10_000;

export class MemoryJobEvents implements JobEvents {
  readonly #listeners = new KeyedListeners<JobEvent>();
  readonly #kept = new BoundedMap<string, JobEvent>(KEPT_COMPLETIONS);

  publish(event: JobEvent): void {
    const kept = this.#kept.peek(event.jobId);
    // A completion that carries the job is worth more to a later wait than a bare one after it.
    if (kept?.job === undefined || event.job !== undefined) this.#kept.set(event.jobId, event);
    this.#listeners.emit(event.jobId, event);
  }

  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void {
    const unsubscribe = this.#listeners.add(jobId, listener);
    const kept = this.#kept.peek(jobId);
    if (kept) listener(kept);
    return unsubscribe;
  }

  last(jobId: string): JobEvent | undefined {
    return this.#kept.peek(jobId);
  }

  /** Jobs someone is waiting for. */
  get watched(): number {
    return this.#listeners.size;
  }

  /** Completions kept for later waits (at most KEPT_COMPLETIONS). */
  get kept(): number {
    return this.#kept.size;
  }
}
