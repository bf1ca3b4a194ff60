/**
 * Job completions relayed between processes on one Redis channel: a completion seen by any
 * process (its poll, a webhook it received) ends the waits for that job on every process. Each
 * completion is also kept a while under the job's id, so a wait that starts on another process
 * just after it still ends at once (one this process saw is replayed from its own memory). While Redis is away, completions stay local and every wait
 * goes on polling: none is lost.
 */
import { z } from 'zod';
import { MemoryJobEvents, type JobEvent, type JobEvents } from '../job-events.js';
import type { RedisLink } from './link.js';

/** A completion larger than this is relayed without the job it carries (the wait then polls it). */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** How long a completion stays readable by a wait that starts later. */
const KEPT_MS = 15 * 60_000;

const messageSchema = z.object({
  from: z.string(),
  jobId: z.string().max(200),
  status: z.enum(['Processed', 'Failed']),
  job: z.unknown().optional(),
});

export class RedisJobEvents implements JobEvents {
  readonly #local = new MemoryJobEvents();
  readonly #channel: string;

  constructor(private readonly link: RedisLink) {
    this.#channel = link.key('job-events');
  }

  /** Starts relaying completions from the other processes. */
  async start(): Promise<void> {
    await this.link.subscribe(this.#channel, (message) => this.#receive(message));
  }

  publish(event: JobEvent): void {
    this.#local.publish(event);
    let message = JSON.stringify({ from: this.link.id, jobId: event.jobId, status: event.status, job: event.job });
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) message = JSON.stringify({ from: this.link.id, jobId: event.jobId, status: event.status });
    const relay = () => Promise.all([this.link.command(['PUBLISH', this.#channel, message]), this.link.command(['SET', this.#kept(event.jobId), message, 'PX', String(KEPT_MS)])]);
    void this.link.sharedOr(relay, () => undefined);
  }

  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void {
    const seenHere = this.#local.last(jobId) !== undefined;
    const unsubscribe = this.#local.subscribe(jobId, listener);
    let active = true;
    if (!seenHere) {
      void this.link
        .sharedOr(() => this.link.command(['GET', this.#kept(jobId)]), () => null)
        .then((message) => {
          const event = typeof message === 'string' ? this.#parse(message, true) : null;
          if (active && event) listener(event);
        });
    }
    return () => {
      active = false;
      unsubscribe();
    };
  }

  last(jobId: string): JobEvent | undefined {
    return this.#local.last(jobId);
  }

  /** Jobs someone in this process is waiting for. */
  get watched(): number {
    return this.#local.watched;
  }

  #kept(jobId: string): string {
    return this.link.key(`job:${jobId}`);
  }

  #receive(message: string): void {
    const event = this.#parse(message, false);
    if (event) this.#local.publish(event);
  }

  /** A completion from Redis, checked; null when it is malformed or (unless `own`) this process's own. */
  #parse(message: string, own: boolean): JobEvent | null {
    if (message.length > MAX_MESSAGE_BYTES) return null;
    let parsed;
    try {
      parsed = messageSchema.safeParse(JSON.parse(message));
    } catch {
      return null;
    }
    if (!parsed.success || (!own && parsed.data.from === this.link.id)) return null;
    const { jobId, status, job } = parsed.data;
    return { jobId, status, source: 'peer', ...(job === undefined ? {} : { job }) };
  }
}
