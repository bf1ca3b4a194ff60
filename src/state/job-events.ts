/**
 * Completions of jobs, from any source — a poll of this process, a webhook, another process —
 * delivered to every wait for that job at once. The in-memory implementation serves one
 * process; a shared one relays events between processes.
 */
import { KeyedListeners } from './listeners.js';

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
  /** Calls `listener` for each completion of `jobId` until the returned function is called. */
  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void;
}

export class MemoryJobEvents implements JobEvents {
  readonly #listeners = new KeyedListeners<JobEvent>();

  publish(event: JobEvent): void {
    this.#listeners.emit(event.jobId, event);
  }

  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void {
    return this.#listeners.add(jobId, listener);
  }

  /** Jobs someone is waiting for: its memory is only that. */
  get watched(): number {
    return this.#listeners.size;
  }
}
