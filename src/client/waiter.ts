/**
 * Waits for a job to end: polls it when the planner says it is most likely done, ends at once
 * when a completion arrives from elsewhere (a webhook, another wait, another process), fetches
 * the result, and never runs past the deadline — when time runs out it hands the job back,
 * still processing, so the caller can return a job to poll later.
 */
import { sleep, type Clock } from '../lib/clock.js';
import type { RateBudget, SharedState } from '../state/index.js';
import type { JobEvent } from '../state/job-events.js';
import { MindeeAbortError, MindeeError, MindeeTimeoutError } from './errors.js';
import { parseApiTime, type PollPlanner, type PollingOptions } from './planner.js';
import { backoffMs, isTransient, type RetryOptions } from './retry.js';
import { jobResponseSchema, type Inference, type Job } from './schemas.js';
import { abortError } from './transport.js';
import type { CallOptions, TrackedJob, WebhookOptions } from './types.js';

/** What the waiter needs of a client: the job and result routes, and what the process shares. */
export interface WaitingClient {
  readonly connection: {
    readonly clock: Clock;
    readonly planner: PollPlanner;
    readonly polling: PollingOptions;
    readonly retry: RetryOptions;
    readonly state: SharedState;
    readonly webhooks: WebhookOptions | undefined;
  };
  readonly budget: RateBudget;
  trackedJob(jobId: string): TrackedJob | undefined;
  getJob(jobId: string, options?: CallOptions): Promise<Job>;
  resultOfJob(job: Job, options?: CallOptions): Promise<Inference>;
}

interface WaitProgress {
  jobId: string;
  status: string;
  polls: number;
  elapsedMs: number;
}

export interface WaitOptions extends CallOptions {
  onProgress?: (progress: WaitProgress) => void;
  /** When the job was enqueued (ms since epoch), if known: it places the polls. */
  startedAt?: number;
  /** Fetch the result once processed (default true). */
  fetchResult?: boolean;
}

export type WaitOutcome =
  | { state: 'processed'; job: Job; inference: Inference | null; resultError: MindeeError | null; polls: number }
  | { state: 'failed'; job: Job; polls: number }
  | { state: 'processing'; job: Job; polls: number };

/** Polls in a row that may fail for a transient reason before the wait gives up. */
const MAX_TRANSIENT_FAILURES = 3;

export async function waitForResult(client: WaitingClient, job: Job, options: WaitOptions = {}): Promise<WaitOutcome> {
  const { signal, deadline = Number.POSITIVE_INFINITY, onProgress } = options;
  const { clock, planner, polling, state } = client.connection;
  const waitStarted = clock.now();
  const known = client.trackedJob(job.id);
  const startedAt = options.startedAt ?? known?.at ?? sinceCreated(job, waitStarted);
  const modelId = known?.modelId ?? job.model_id;
  const pages = known?.pages ?? null;
  // A webhook will end this wait: polls are only a slow safety net, should it be lost.
  const pushFallbackMs = known?.pushExpected ? client.connection.webhooks?.fallbackMs : undefined;
  const product = known?.product ?? null;
  // Room left for one more poll before the deadline.
  const margin = Math.min(1000, polling.minIntervalMs);

  // A completion seen elsewhere wakes the wait at once (one seen before it began is replayed).
  let pushed: JobEvent | null = null;
  let wake: (() => void) | null = null;
  const unsubscribe = state.jobEvents.subscribe(job.id, (event) => {
    pushed = event;
    wake?.();
  });
  // What ends a sleep or a poll early: the caller's signal, or a completion pushed meanwhile. One
  // controller serves every sleep and poll until it fires (a composite signal per poll, over a
  // wait of minutes, is garbage a thousand waits make by the megabyte).
  let interrupt = new AbortController();
  const interrupted = () => interrupt.abort(signal?.reason);
  signal?.addEventListener('abort', interrupted, { once: true });
  const interruptible = (): { signal: AbortSignal; woken: () => boolean } => {
    if (interrupt.signal.aborted && !signal?.aborted) interrupt = new AbortController();
    const current = interrupt;
    wake = () => current.abort();
    return { signal: current.signal, woken: () => current.signal.aborted && !signal?.aborted };
  };

  let current = job;
  let polls = 0;
  let failures = 0;
  try {
    // What earlier processes learned (a file read at start) places the first poll.
    await planner.ready;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      if (current.status === 'Failed') return { state: 'failed', job: current, polls };
      if (current.status === 'Processed') {
        learn(client, current, modelId, pages, product);
        if (options.fetchResult === false) return { state: 'processed', job: current, inference: null, resultError: null, polls };
        try {
          // A finished job's result goes before any poll: it is what the caller waits for.
          const inference = await client.resultOfJob(current, { signal, deadline, priority: 0 });
          return { state: 'processed', job: current, inference, resultError: null, polls };
        } catch (error) {
          if (error instanceof MindeeAbortError || !(error instanceof MindeeError)) throw error;
          return { state: 'processed', job: current, inference: null, resultError: error, polls };
        }
      }

      const now = clock.now();
      let delay =
        failures > 0
          ? backoffMs(failures, client.connection.retry)
          : planner.nextDelay({ modelId, pages, product, elapsedMs: now - startedAt, polls, gets: client.budget.usage().get });
      if (pushFallbackMs !== undefined && failures === 0) delay = Math.max(delay, polls === 0 ? startedAt + pushFallbackMs - now : pushFallbackMs / 3);
      const wakeAt = Math.min(now + delay, deadline - margin);
      // Out of time, unless a completion was pushed meanwhile: that one is taken first.
      if (wakeAt <= now && polls > 0 && !pushed) return { state: 'processing', job: current, polls };
      if (!pushed) {
        const during = interruptible();
        try {
          await sleep(clock, wakeAt - now, during.signal);
        } catch (error) {
          if (!during.woken()) throw error;
        } finally {
          wake = null;
        }
      }
      const event: JobEvent | null = pushed;
      pushed = null;
      const fromEvent = event ? jobOf(event) : null;
      if (fromEvent) {
        current = fromEvent;
      } else {
        // A completion pushed while this poll waits for its rate-budget slot ends the poll too.
        const during = interruptible();
        try {
          // When GETs are short, the jobs most likely done are checked first — read again while
          // the poll waits, since a job grows likelier done meanwhile.
          const priority = () => 2 - planner.doneLikelihood({ modelId, pages, product, elapsedMs: clock.now() - startedAt, polls });
          current = await client.getJob(current.id, { signal: during.signal, deadline, priority });
          failures = 0;
        } catch (error) {
          // A completion arrived meanwhile: it is taken at the top of the loop.
          if (during.woken()) continue;
          if (error instanceof MindeeTimeoutError && clock.now() >= deadline - 50) return { state: 'processing', job: current, polls };
          if (!(error instanceof MindeeError) || error instanceof MindeeAbortError) throw error;
          // No budget slot within one request's time says nothing of the job, nor of the API: the
          // wait goes on while it may (each try already waited its request's time for a slot).
          if (error.code === 'not_sent') {
            if (deadline - clock.now() <= margin) return { state: 'processing', job: current, polls };
            continue;
          }
          if (!isTransient(error)) throw error;
          if (++failures > MAX_TRANSIENT_FAILURES) throw error;
          if (deadline - clock.now() <= margin) return { state: 'processing', job: current, polls };
          continue;
        }
        finally {
          wake = null;
        }
        polls++;
      }
      onProgress?.({ jobId: current.id, status: current.status, polls, elapsedMs: clock.now() - waitStarted });
    }
  } catch (error) {
    if (signal?.aborted && !(error instanceof MindeeAbortError)) throw abortError(signal);
    throw error;
  } finally {
    signal?.removeEventListener('abort', interrupted);
    unsubscribe();
  }
}

/** The job an event carries, when it carries a valid one for the right id. */
function jobOf(event: JobEvent): Job | null {
  const parsed = jobResponseSchema.safeParse(event.job);
  return parsed.success && parsed.data.job.id === event.jobId ? parsed.data.job : null;
}

/** Feeds the planner the job's real processing time, as Mindee measured it. */
function learn(client: WaitingClient, job: Job, modelId: string | null, pages: number | null, product: string | null): void {
  const created = parseApiTime(job.created_at);
  const completed = parseApiTime(job.completed_at);
  if (created !== null && completed !== null) client.connection.planner.observe(modelId, pages, completed - created, product, completed);
}

/** When a job this process did not enqueue started, by Mindee's clock, if that is plausible here. */
function sinceCreated(job: Job, now: number): number {
  const created = parseApiTime(job.created_at);
  return created !== null && created <= now && now - created < 24 * 3600_000 ? created : now;
}
