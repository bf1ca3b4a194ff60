/**
 * Completions of jobs, from any source — a poll of this process, a webhook, another process —
 * delivered to every wait for that job at once. The in-memory implementation serves one
 * process; a shared one relays events between processes.
 */

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
  readonly #listeners = new Map<string, Set<(event: JobEvent) => void>>();

  publish(event: JobEvent): void {
    const listeners = this.#listeners.get(event.jobId);
    if (!listeners) return;
    for (const listener of [...listeners]) listener(event);
  }

  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void {
    let listeners = this.#listeners.get(jobId);
    if (!listeners) this.#listeners.set(jobId, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listeners.get(jobId) === listeners) this.#listeners.delete(jobId);
    };
  }

  /** Jobs someone is waiting for: its memory is only that. */
  get watched(): number {
    return this.#listeners.size;
  }
}
