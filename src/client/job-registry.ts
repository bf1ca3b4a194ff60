/**
 * What one process remembers of the jobs its callers enqueued and the results they saw: the
 * details of each job (and which caller enqueued it), the result_url of each processed job (the
 * authoritative route of its result), whether a webhook already delivered a job, and, per
 * caller, which webhooks each model has. Bounded; the one owner of that memory — the client,
 * the waiter and the webhook receiver ask it through its methods. Who owns a job across
 * processes is the shared state's (`state.owners`), not this.
 */
import { BoundedMap } from '../lib/bounded-map.js';
import type { TrackedJob } from './types.js';

/** Jobs and result URLs remembered per process. */
const REMEMBERED = 10_000;
/** Callers whose models' webhooks are remembered. */
const CALLERS_REMEMBERED = 1000;

/** A job this process enqueued, with the caller that did. */
export interface OwnedJob {
  partition: string;
  job: TrackedJob;
}

/** The webhook ids of each model (lower case), as an account's model list gave them, and when. */
export interface ModelWebhooks {
  at: number;
  byModel: Map<string, string[]>;
}

export class JobRegistry {
  readonly #jobs = new BoundedMap<string, OwnedJob & { pushed?: boolean }>(REMEMBERED);
  readonly #resultUrls = new BoundedMap<string, string>(REMEMBERED);
  readonly #modelWebhooks = new BoundedMap<string, ModelWebhooks>(CALLERS_REMEMBERED);

  /** Records a job `partition` (a caller's id) just enqueued. */
  track(partition: string, jobId: string, job: TrackedJob): void {
    this.#jobs.set(jobId, { partition, job });
  }

  /** What this process knows of a job, if `partition` enqueued it here. */
  tracked(partition: string, jobId: string): TrackedJob | undefined {
    const entry = this.#jobs.peek(jobId);
    return entry?.partition === partition ? entry.job : undefined;
  }

  /** The job this process enqueued with that id, and the caller that did. */
  owner(jobId: string): OwnedJob | undefined {
    const entry = this.#jobs.peek(jobId);
    return entry ? { partition: entry.partition, job: entry.job } : undefined;
  }

  /** Marks a job's result as delivered by a webhook: a later delivery of it is a duplicate. */
  markPushed(jobId: string): void {
    const entry = this.#jobs.peek(jobId);
    if (entry) entry.pushed = true;
  }

  /** Whether a webhook already delivered the result of a job this process enqueued. */
  wasPushed(jobId: string): boolean {
    return this.#jobs.peek(jobId)?.pushed === true;
  }

  /**
   * The ids of the jobs a failure webhook may be about: enqueued here expecting a webhook, of
   * that model, with that file name and alias, and not already delivered.
   */
  awaitingPush(modelId: string, fileName: string | null, alias: string | null): string[] {
    const ids: string[] = [];
    for (const [jobId, { job, pushed }] of this.#jobs.entries()) {
      if (!job.pushExpected || pushed || job.modelId.toLowerCase() !== modelId.toLowerCase()) continue;
      if ((job.filename ?? null) === fileName && (job.alias ?? null) === alias) ids.push(jobId);
    }
    return ids;
  }

  /** Remembers where the result of an inference `partition` saw is. */
  rememberResultUrl(partition: string, inferenceId: string, url: string): void {
    // Inference ids have no newline: the key is unambiguous.
    this.#resultUrls.set(`${partition}\n${inferenceId}`, url);
  }

  /** The result_url remembered for an inference `partition` saw, if any. */
  resultUrl(partition: string, inferenceId: string): string | undefined {
    return this.#resultUrls.peek(`${partition}\n${inferenceId}`);
  }

  /** The webhooks of a caller's models, as last learnt. */
  modelWebhooks(partition: string): ModelWebhooks | undefined {
    return this.#modelWebhooks.get(partition);
  }

  setModelWebhooks(partition: string, known: ModelWebhooks): void {
    this.#modelWebhooks.set(partition, known);
  }

  /** Jobs remembered now (at most `max`). */
  get size(): number {
    return this.#jobs.size;
  }

  get max(): number {
    return this.#jobs.max;
  }
}
