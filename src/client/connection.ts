/**
 * What every client of one process shares: the transport and its pool, the poll planner, the
 * shared state, the registry of the jobs this process enqueued, and the webhooks it adds to
 * enqueues. A MindeeClient (mindee-client.ts) is that connection used with one API key.
 */
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../lib/clock.js';
import { callerDigest, type Caller } from '../state/caller.js';
import { createMemoryState, type RateLimits, type ResultStore, type ResultStoreLimits, type SharedState, type TimingStore } from '../state/index.js';
import { clip } from '../lib/text.js';
import { USER_AGENT } from '../version.js';
import { JobRegistry, type OwnedJob } from './job-registry.js';
import { DEFAULT_POLLING, PollPlanner, type PollingOptions } from './planner.js';
import { DEFAULT_RETRY, type RetryOptions } from './retry.js';
import { DEFAULT_BASE_URL, ID_PATTERN } from './routes.js';
import { Slots } from './slots.js';
import type { Inference, Product } from './schemas.js';
import { DEFAULT_MAX_RESPONSE_BYTES, Transport, type AttemptEvent } from './transport.js';
import type { WebhookOptions } from './types.js';
import type { WaitOutcome } from './waiter.js';

export interface ConnectionOptions {
  baseUrl?: string;
  /** Per-request time-out, milliseconds (MINDEE_REQUEST_TIMEOUT is in seconds). */
  requestTimeoutMs?: number;
  /** An undici MockAgent or any dispatcher. The connection then does not own it. */
  dispatcher?: Dispatcher;
  polling?: Partial<PollingOptions>;
  retry?: Partial<RetryOptions>;
  userAgent?: string;
  maxResponseBytes?: number;
  /** The shared state; default an in-memory one built from `rateLimits` and `resultCache`. */
  state?: SharedState;
  /** Requests per window each rate scope may send (in-memory state only). */
  rateLimits?: RateLimits;
  /** Bounds of the kept results (in-memory state only). */
  resultCache?: Partial<ResultStoreLimits>;
  /** Where the poll planner's learned timings are kept (in-memory state only; default memory). */
  timings?: TimingStore;
  /** The rate scope of every key; default one scope per key. */
  rateScope?: string;
  /** How a missing key is explained; the CLI points at --emulator. */
  missingKeyHint?: string;
  /** A key that is no secret (the local emulator's): it is not redacted, so a hint may name it. */
  publicKey?: string;
  clock?: Clock;
  observe?: (event: AttemptEvent) => void;
  /** Sees every wait for a job once it ends: for metrics. */
  observeWait?: (event: WaitEvent) => void;
  /** Results pushed by Mindee's webhooks (see webhook-delivery.ts). */
  webhooks?: WebhookOptions;
}

/** How one wait for a job ended, and how long it took. */
export interface WaitEvent {
  outcome: WaitOutcome['state'] | 'error';
  durationMs: number;
  polls: number;
}

/** Keeps a result in a partition, in the form the API sent it. */
export async function keepInference(store: ResultStore, inference: Inference, product: Product | null, json = JSON.stringify({ inference })): Promise<void> {
  // An id no route accepts could never be read back.
  if (!ID_PATTERN.test(inference.id)) return;
  await store.put(inference.id, { json, meta: { fileName: inference.file?.name ? clip(inference.file.name, 300) : null, product } });
}

/** A short, stable id of a key that is not the key: partitions, scopes and logs use it. */
export function keyId(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 16);
}

/** The caller that a Mindee key is: the process with its key (stdio), or a remote caller sending its own. */
export function keyCaller(apiKey: string | undefined): Caller {
  return { id: apiKey ? `key:${callerDigest(apiKey)}` : 'no-key' };
}

/** What every client of one process shares (MindeeConnection adds the making of clients). */
/** Results fetched and parsed at once by one process (the rest wait their turn, first come first served). */
const RESULTS_AT_ONCE = 8;

export class Connection {
  readonly transport: Transport;
  readonly planner: PollPlanner;
  readonly polling: PollingOptions;
  readonly retry: RetryOptions;
  readonly state: SharedState;
  readonly clock: Clock;
  readonly baseUrl: URL;
  readonly missingKeyHint: string;
  readonly publicKey: string | undefined;
  readonly rateScope: string | undefined;
  readonly observeWait: ((event: WaitEvent) => void) | undefined;
  /** What this process remembers of the jobs it enqueued and the results its callers saw. */
  readonly jobs = new JobRegistry();
  /** Results of ended jobs fetched and parsed at once: many waits ending together take turns. */
  readonly resultSlots = new Slots(RESULTS_AT_ONCE);
  readonly webhooks: WebhookOptions | undefined;
  readonly #ownsState: boolean;

  constructor(options: ConnectionOptions = {}) {
    const base = options.baseUrl ?? DEFAULT_BASE_URL;
    this.baseUrl = new URL(base.endsWith('/') ? base : `${base}/`);
    this.clock = options.clock ?? systemClock;
    this.polling = { ...DEFAULT_POLLING, ...options.polling };
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#ownsState = options.state === undefined;
    this.state = options.state ?? createMemoryState({ rateLimits: options.rateLimits, results: options.resultCache, clock: this.clock, timings: options.timings });
    this.planner = new PollPlanner(this.polling, this.state.timings);
    this.missingKeyHint = options.missingKeyHint ?? 'Set MINDEE_V2_API_KEY to a Mindee v2 API key (md_…).';
    this.publicKey = options.publicKey;
    this.rateScope = options.rateScope;
    this.observeWait = options.observeWait;
    this.webhooks = options.webhooks && options.webhooks.ids.length > 0 ? options.webhooks : undefined;
    this.transport = new Transport({
      baseUrl: this.baseUrl,
      requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
      retry: this.retry,
      userAgent: options.userAgent ?? USER_AGENT,
      clock: this.clock,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      dispatcher: options.dispatcher,
      observe: options.observe,
    });
  }

  /** The job this process enqueued with that id, and the caller that did. */
  owner(jobId: string): OwnedJob | undefined {
    return this.jobs.owner(jobId);
  }

  async close(): Promise<void> {
    await this.transport.close();
    if (this.#ownsState) await this.state.close();
  }
}
