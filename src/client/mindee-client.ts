/**
 * The Mindee v2 API's routes: enqueue, job, result, model search. A MindeeConnection is what a
 * process shares (the transport and its pool, the poll planner, the shared state); a
 * MindeeClient is that connection used with one API key — its rate budget, its own kept
 * results. It speaks the API's words (job, inference, model_id) and knows nothing of MCP.
 */
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { createRedactor, type Redactor } from '../redact.js';
import { BoundedMap } from '../state/bounded-map.js';
import { systemClock, type Clock } from '../state/clock.js';
import { callerDigest, type Caller } from '../state/caller.js';
import { StateUnavailableError } from '../state/errors.js';
import type { JobEvent } from '../state/job-events.js';
import type { OwnedKind } from '../state/owners.js';
import { createMemoryState, type RateBudget, type RateLimits, type ResultStore, type ResultStoreLimits, type SharedState, type TimingStore } from '../state/index.js';
import { clip, quote } from '../text.js';
import { USER_AGENT } from '../version.js';
import {
  MindeeAbortError,
  MindeeApiError,
  MindeeConfigError,
  MindeeError,
  MindeeInputError,
  MindeeOriginError,
  MindeeResponseError,
  MindeeStateError,
  MindeeUnknownIdError,
} from './errors.js';
import { enqueueFormBody, EXTRACTION_OPTIONS, type MultipartBody } from './multipart.js';
import type { CallOptions, DocumentOrigin, EnqueueParams, TrackedJob, UploadDocument, WebhookOptions } from './types.js';
import { DEFAULT_POLLING, PollPlanner, type PollingOptions } from './planner.js';
import { DEFAULT_RETRY, type RetryOptions } from './retry.js';
import {
  inferenceResponseSchema,
  jobResponseSchema,
  searchModelsResponseSchema,
  type Inference,
  type Job,
  type Product,
  type SearchModelsResponse,
} from './schemas.js';
import { DEFAULT_MAX_RESPONSE_BYTES, parseJson, Transport, type AttemptEvent } from './transport.js';
import { waitForResult, type WaitOptions, type WaitOutcome } from './waiter.js';

export type { CallOptions, EnqueueParams, TrackedJob, UploadDocument, WebhookOptions } from './types.js';

export const DEFAULT_BASE_URL = 'https://api-v2.mindee.net';

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
  /** Results pushed by Mindee's webhooks (see push.ts). */
  webhooks?: WebhookOptions;
}

/** How one wait for a job ended, and how long it took. */
export interface WaitEvent {
  outcome: WaitOutcome['state'] | 'error';
  durationMs: number;
  polls: number;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** Jobs and result URLs remembered per process. */
const REMEMBERED = 10_000;
/** How long the webhooks of an account's models are taken as known. */
const MODEL_WEBHOOKS_TTL_MS = 10 * 60 * 1000;
/** Pages of models read to learn which have which webhooks (100 models a page). */
const MODEL_PAGES_READ = 20;

/** Checks an id that goes into a URL path: letters, digits, `-` and `_` only. */
export function checkId(id: unknown, what: string): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new MindeeInputError(`Invalid ${what} ${quote(String(id), 80)}: ids contain only letters, digits, "-" and "_".`, {
      code: 'invalid_id',
      hint: `Pass the ${what} exactly as a previous answer gave it.`,
    });
  }
  return encodeURIComponent(id);
}

/** The inference id at the end of a result URL (`…/inferences/{id}` or `…/results/{id}`). */
export function inferenceIdFromResultUrl(resultUrl: string | null): string | null {
  if (!resultUrl) return null;
  try {
    const last = new URL(resultUrl).pathname.split('/').filter(Boolean).pop();
    return last && ID_PATTERN.test(decodeURIComponent(last)) ? decodeURIComponent(last) : null;
  } catch {
    return null;
  }
}

/** The product whose results a result URL points at. */
export function productFromResultUrl(resultUrl: string | null): Product | null {
  if (!resultUrl) return null;
  try {
    const parts = new URL(resultUrl).pathname.split('/').filter(Boolean);
    const i = parts.lastIndexOf('products');
    const product = parts[i + 1];
    if (i >= 0 && parts[i + 2] === 'results' && isProduct(product)) return product;
    if (parts.includes('inferences')) return 'extraction';
  } catch {
    // not a URL: no product
  }
  return null;
}

function isNotFound(error: unknown): boolean {
  return error instanceof MindeeApiError && error.status === 404;
}

function isProduct(value: string | undefined): value is Product {
  return value === 'extraction' || value === 'classification' || value === 'crop' || value === 'ocr' || value === 'split';
}

/** The route of a result of a product, below the API's base URL (`id` already encoded). */
export function resultPath(product: Product, id: string): string {
  return product === 'extraction' ? `v2/inferences/${id}` : `v2/products/${product}/results/${id}`;
}

/**
 * The options among `candidates` that a refused enqueue names: a 4xx other than a bad key, a
 * missing route, a time-out or a rate limit, whose pointers or text name the option.
 */
export function refusedOptions<O extends string>(error: unknown, candidates: O[]): O[] {
  if (!(error instanceof MindeeApiError) || candidates.length === 0) return [];
  if (error.status < 400 || error.status >= 500 || [401, 404, 408, 413, 429].includes(error.status)) return [];
  const pointers = error.errors.map((e) => (e.pointer ?? '').replace(/^#?\//, ''));
  const text = [error.title, error.detail, ...error.errors.map((e) => e.detail)].join(' ').toLowerCase();
  return candidates.filter((o) => pointers.includes(o) || new RegExp(`\\b${o}\\b`).test(text));
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

/** What every client of one process shares. */
export class MindeeConnection {
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
  /** Details of the jobs this process enqueued, by caller and job id (who owns a job is `state.owners`). */
  readonly tracked = new BoundedMap<string, TrackedJob>(REMEMBERED);
  /** The result_url of each processed job seen, by caller and inference id: the authoritative route. */
  readonly resultUrls = new BoundedMap<string, string>(REMEMBERED);
  /** The caller that enqueued each job in this process: its tracked details, for a pushed result. */
  readonly owners = new BoundedMap<string, string>(REMEMBERED);
  /** Completions pushed by webhooks, by job id: a wait that starts after one still sees it. */
  readonly pushed = new BoundedMap<string, JobEvent>(REMEMBERED);
  /** Per caller: the webhook ids of each model, as the account's model list gave them. */
  readonly modelWebhooks = new BoundedMap<string, { at: number; byModel: Map<string, string[]> }>(1000);
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

  /**
   * The client of one API key (undefined: calls explain how to set one) for one caller (default:
   * the key's own). Callers sharing a key (a remote server's token holders) each have their own
   * jobs and kept results, while the rate budget stays the key's. `foreignJobs`: whether ids the
   * server never recorded (jobs made outside it) may be asked of Mindee — yes by default, where
   * the key is the caller's own.
   */
  client(apiKey: string | undefined, caller?: Caller, options: { foreignJobs?: boolean } = {}): MindeeClient {
    return new MindeeClient({ apiKey, connection: this, caller, foreignJobs: options.foreignJobs });
  }

  /** The job this process enqueued with that id, and the caller that did. */
  owner(jobId: string): { partition: string; job: TrackedJob } | undefined {
    const partition = this.owners.peek(jobId);
    const job = partition === undefined ? undefined : this.tracked.peek(`${partition}:${jobId}`);
    return partition !== undefined && job ? { partition, job } : undefined;
  }

  async close(): Promise<void> {
    await this.transport.close();
    if (this.#ownsState) await this.state.close();
  }
}

export interface MindeeClientOptions extends ConnectionOptions {
  apiKey: string | undefined;
  /** Share this connection instead of making one; it is then not closed with the client. */
  connection?: MindeeConnection;
  /** Who calls (default: the key's own caller): its results and jobs are its own. */
  caller?: Caller;
  /** Ids the server never recorded may be asked of Mindee (default true: the key is the caller's own). */
  foreignJobs?: boolean;
}

export class MindeeClient {
  readonly connection: MindeeConnection;
  readonly redact: Redactor;
  readonly results: ResultStore;
  readonly #apiKey: string | undefined;
  readonly #budget: RateBudget;
  readonly #caller: Caller;
  readonly #partition: string;
  readonly #foreignJobs: boolean;
  readonly #ownsConnection: boolean;

  constructor(options: MindeeClientOptions) {
    this.#ownsConnection = options.connection === undefined;
    this.connection = options.connection ?? new MindeeConnection(options);
    this.#apiKey = options.apiKey && options.apiKey.length > 0 ? options.apiKey : undefined;
    const key = this.#apiKey ? keyId(this.#apiKey) : 'no-key';
    this.#caller = options.caller ?? keyCaller(this.#apiKey);
    this.#partition = this.#caller.id;
    this.#foreignJobs = options.foreignJobs ?? true;
    this.redact = createRedactor([this.#apiKey === this.connection.publicKey ? undefined : this.#apiKey]);
    // The budget is the key's (its organisation's), whoever of its callers spends it.
    this.#budget = this.connection.state.rateBudget(this.connection.rateScope ?? key);
    this.results = this.connection.state.results(this.#partition);
  }

  get baseUrl(): URL {
    return this.connection.baseUrl;
  }

  /** Who calls: every job, result and task of this client is this caller's. */
  get caller(): Caller {
    return this.#caller;
  }

  /** The budget this client's requests take their slots from. */
  get budget(): RateBudget {
    return this.#budget;
  }

  async close(): Promise<void> {
    if (this.#ownsConnection) await this.connection.close();
  }

  async enqueue(document: UploadDocument, params: EnqueueParams, options: CallOptions & { origin?: DocumentOrigin } = {}): Promise<Job> {
    const product = params.product ?? 'extraction';
    if (product !== 'extraction') {
      const extra = EXTRACTION_OPTIONS.filter(([key]) => params[key] !== undefined).map(([, name]) => name);
      if (extra.length > 0) {
        throw new MindeeInputError(`The option(s) ${extra.join(', ')} apply only to the extraction product, not to ${product}.`, {
          code: 'extraction_only_option',
          hint: 'Remove them, or use the extraction product.',
        });
      }
    }
    checkId(params.modelId, 'model_id');
    if (params.webhookIds) for (const id of params.webhookIds) checkId(id, 'webhook id');
    const hooks = this.connection.webhooks;
    const defaults = params.webhookIds?.length || !hooks ? [] : await this.#defaultWebhooks(params.modelId, hooks.ids, options);
    const sent = defaults.length > 0 ? { ...params, webhookIds: defaults } : params;
    const path = product === 'extraction' ? 'v2/inferences/enqueue' : `v2/products/${product}/enqueue`;
    const post = (body: EnqueueParams) => this.#send('POST', this.#url(path), 'enqueue the document', 'enqueue', options, () => enqueueFormBody(document, body));
    let response;
    const dropped: Array<'polygon' | 'confidence'> = [];
    try {
      response = await post(sent);
    } catch (error) {
      // An option sent by default that the account may not use: once more without it (a refused enqueue made no job).
      const refused = refusedOptions(error, (sent.droppable ?? []).filter((o) => sent[o] === true));
      if (refused.length === 0) throw error;
      dropped.push(...refused);
      response = await post({ ...sent, ...Object.fromEntries(refused.map((o) => [o, undefined])) });
    }
    const job = this.#parse(jobResponseSchema, response, 'enqueue the document').job;
    this.connection.tracked.set(`${this.#partition}:${job.id}`, {
      at: this.connection.clock.now(),
      product,
      modelId: params.modelId,
      pages: document.kind === 'file' ? (document.pageCount ?? null) : null,
      pushExpected: hooks?.received === true && (sent.webhookIds ?? []).some((id) => hooks.ids.includes(id.toLowerCase())),
      filename: job.filename,
      alias: job.alias,
      ...(dropped.length ? { dropped } : {}),
    });
    this.connection.owners.set(job.id, this.#partition);
    // Before the id reaches anyone: from now on only this caller reads the job, on any replica.
    await this.connection.state.owners.record('job', job.id, this.#partition);
    if (options.origin) await this.connection.state.owners.recordDocument(job.id, this.#partition, JSON.stringify(options.origin));
    return job;
  }

  /**
   * The document a result of this caller was made from, as recorded at enqueue: undefined when
   * none was (a job of another process's memory, or started elsewhere). The result is read first,
   * so another caller's id is unknown here as everywhere.
   */
  async documentOf(inferenceId: string, options: CallOptions = {}): Promise<DocumentOrigin | undefined> {
    const inference = await this.getResult({ inferenceId, product: (await this.knownProduct(inferenceId)) ?? 'extraction' }, options);
    const jobId = inference.job?.id;
    if (!jobId) return undefined;
    const stored = await this.connection.state.owners.documentOf(jobId, this.#partition);
    if (stored === undefined) return undefined;
    try {
      return JSON.parse(stored) as DocumentOrigin;
    } catch {
      return undefined;
    }
  }

  /**
   * The configured webhook ids that this model has: Mindee refuses an enqueue naming a webhook of
   * another model. Learnt from the account's model list, once per key every few minutes; when
   * that list cannot be read, the enqueue goes without (its wait polls as usual).
   */
  async #defaultWebhooks(modelId: string, ids: string[], options: CallOptions): Promise<string[]> {
    const now = this.connection.clock.now();
    let known = this.connection.modelWebhooks.get(this.#partition);
    if (!known || now - known.at > MODEL_WEBHOOKS_TTL_MS) {
      const byModel = new Map<string, string[]>();
      try {
        for (let page = 1; page <= MODEL_PAGES_READ; page++) {
          const answer = await this.searchModels({ page, perPage: 100 }, options);
          for (const m of answer.models) byModel.set(m.id.toLowerCase(), m.webhooks.map((w) => w.id.toLowerCase()));
          const pages = answer.pagination?.total_pages ?? 1;
          if (page >= pages || answer.models.length === 0) break;
        }
      } catch (error) {
        if (!(error instanceof MindeeError) || error instanceof MindeeAbortError) throw error;
        return [];
      }
      known = { at: now, byModel };
      this.connection.modelWebhooks.set(this.#partition, known);
    }
    const ofModel = known.byModel.get(modelId.toLowerCase()) ?? [];
    return ids.filter((id) => ofModel.includes(id.toLowerCase()));
  }

  async getJob(jobId: string, options: CallOptions = {}): Promise<Job> {
    const id = checkId(jobId, 'job_id');
    const action = 'return the job status';
    if (!(await this.#mayAsk('job', jobId))) throw new MindeeUnknownIdError('job', jobId, action);
    const response = await this.#send('GET', this.#url(`v2/jobs/${id}`), action, 'job', options).catch((error: unknown) => {
      throw isNotFound(error) ? new MindeeUnknownIdError('job', jobId, action) : error;
    });
    const job = this.#parse(jobResponseSchema, response, action).job;
    await this.#remember(job);
    // Whoever looked, every wait for this job (in any process sharing the state) ends now.
    if (job.status !== 'Processing') {
      this.connection.state.jobEvents.publish({ jobId: job.id, status: job.status === 'Failed' ? 'Failed' : 'Processed', source: 'poll', job: { job } });
    }
    return job;
  }

  /**
   * Whether this caller may ask Mindee about an id: one it owns, or — where foreign jobs are
   * allowed — one no caller does. Decided from the state alone, before any request, so that
   * another caller's id and an id that never was are answered alike.
   */
  async #mayAsk(kind: OwnedKind, id: string): Promise<boolean> {
    const owner = await this.#ownerOf(kind, id);
    return owner === this.#partition || (owner === undefined && this.#foreignJobs);
  }

  async #ownerOf(kind: OwnedKind, id: string): Promise<string | undefined> {
    try {
      return await this.connection.state.owners.ownerOf(kind, id);
    } catch (error) {
      if (error instanceof StateUnavailableError) throw new MindeeStateError(`Nothing was asked of Mindee: ${error.message}`);
      throw error;
    }
  }

  /** A processed job's inference is its job's owner's, whoever saw it first. */
  async #remember(job: Job): Promise<void> {
    const inferenceId = inferenceIdFromResultUrl(job.result_url);
    if (inferenceId) {
      const owner = await this.#ownerOf('job', job.id);
      if (owner !== undefined) await this.connection.state.owners.record('inference', inferenceId, owner);
    }
    // A result_url on another origin is never used: the result is then fetched by id, here.
    if (!inferenceId || !job.result_url || new URL(job.result_url).origin !== this.baseUrl.origin) return;
    this.connection.resultUrls.set(`${this.#partition}:${inferenceId}`, job.result_url);
  }

  /** What this process knows of a job this key enqueued, if it did. */
  trackedJob(jobId: string): TrackedJob | undefined {
    return this.connection.tracked.peek(`${this.#partition}:${jobId}`);
  }

  /** The product a job this key enqueued was sent to, if it did. */
  productOfJob(jobId: string): Product | null {
    return this.trackedJob(jobId)?.product ?? null;
  }

  /** The product of a result this key has seen the job or the result of, if any. */
  async knownProduct(inferenceId: string): Promise<Product | null> {
    const url = this.connection.resultUrls.peek(`${this.#partition}:${inferenceId}`);
    if (url) return productFromResultUrl(url);
    const kept = await this.results.get(inferenceId);
    return isProduct(kept?.meta.product ?? undefined) ? (kept!.meta.product as Product) : null;
  }

  /**
   * Fetches a result: from the kept results when it was fetched before; else by the job's
   * result_url (refused if it points at another origin: the key is never sent there), by the
   * result_url remembered for that inference id, or by the product's result route.
   */
  async getResult(target: { inferenceId: string; product?: Product } | { resultUrl: string }, options: CallOptions = {}): Promise<Inference> {
    let url: URL;
    let id: string | null;
    let product: Product | null;
    const action = 'return the result';
    if ('resultUrl' in target) {
      url = this.#sameOrigin(target.resultUrl, 'result_url');
      id = inferenceIdFromResultUrl(url.href);
      product = productFromResultUrl(url.href);
    } else {
      id = target.inferenceId;
      const encoded = checkId(id, 'inference_id');
      const remembered = this.connection.resultUrls.peek(`${this.#partition}:${id}`);
      product = remembered ? productFromResultUrl(remembered) : (target.product ?? 'extraction');
      if (remembered) url = this.#sameOrigin(remembered, 'result_url');
      else url = this.#url(resultPath(product ?? 'extraction', encoded));
    }
    // What this caller keeps is its own (its jobs', or foreign ones it was allowed to read).
    const kept = id ? await this.#kept(id) : undefined;
    if (kept) return kept;
    const owner = id ? await this.#ownerOf('inference', id) : undefined;
    if (id && owner !== this.#partition && (owner !== undefined || !this.#foreignJobs)) throw new MindeeUnknownIdError('inference', id, action);
    const response = await this.#send('GET', url, action, 'result', options).catch((error: unknown) => {
      throw id && isNotFound(error) ? new MindeeUnknownIdError('inference', id, action) : error;
    });
    const inference = this.#parse(inferenceResponseSchema, response, action).inference;
    if (owner === undefined) {
      // Read as a foreign result: it may yet be of a job a caller started whose result no one had
      // seen. Then it is that caller's: kept for it (a result deleted once fetched would be lost
      // otherwise) and answered here as unknown.
      const jobOwner = inference.job?.id ? await this.#ownerOf('job', inference.job.id) : undefined;
      if (jobOwner !== undefined) await this.connection.state.owners.record('inference', inference.id, jobOwner);
      if (jobOwner !== undefined && jobOwner !== this.#partition) {
        await keepInference(this.connection.state.results(jobOwner), inference, product, response.text);
        throw new MindeeUnknownIdError('inference', id ?? inference.id, action);
      }
      // A result_url naming no inference id was let through on its job's word: its inference must agree.
      if (jobOwner === undefined && !this.#foreignJobs) throw new MindeeUnknownIdError('inference', id ?? inference.id, action);
    }
    await this.keep(inference, product, response.text);
    return inference;
  }

  /** Keeps a result (fetched, or pushed by a webhook) so it can be read again; `json` is its `{inference}` text when at hand. */
  async keep(inference: Inference, product: Product | null, json?: string): Promise<void> {
    await keepInference(this.results, inference, product, json);
  }

  async #kept(inferenceId: string): Promise<Inference | undefined> {
    const stored = await this.results.get(inferenceId);
    if (!stored) return undefined;
    const parsed = inferenceResponseSchema.safeParse(parseJson(stored.json));
    return parsed.success ? parsed.data.inference : undefined;
  }

  /** The result of a processed job, from its result_url when it has one. */
  async resultOfJob(job: Job, options: CallOptions = {}): Promise<Inference> {
    if (job.result_url) {
      // A job handed over by an event (another replica's poll or a webhook) is remembered here too.
      await this.#remember(job);
      return this.getResult({ resultUrl: job.result_url }, options);
    }
    throw new MindeeResponseError(`Job ${job.id} is processed but Mindee gave no result_url for it.`, {
      code: 'no_result_url',
      hint: 'Read the result by its inference id if you have it, or enqueue the document again.',
    });
  }

  async searchModels(query: { name?: string; modelType?: string; page?: number; perPage?: number } = {}, options: CallOptions = {}): Promise<SearchModelsResponse> {
    const url = this.#url('v2/search/models');
    if (query.name) url.searchParams.set('name', query.name);
    if (query.modelType) url.searchParams.set('model_type', query.modelType);
    if (query.page !== undefined) url.searchParams.set('page', String(query.page));
    if (query.perPage !== undefined) url.searchParams.set('per_page', String(query.perPage));
    const response = await this.#send('GET', url, 'list the models', 'search', options);
    return this.#parse(searchModelsResponseSchema, response, 'list the models');
  }

  /** Waits for a job to end (see waiter.ts). */
  async waitForResult(job: Job, options: WaitOptions = {}): Promise<WaitOutcome> {
    const observe = this.connection.observeWait;
    if (!observe) return waitForResult(this, job, options);
    const started = this.connection.clock.now();
    try {
      const outcome = await waitForResult(this, job, options);
      observe({ outcome: outcome.state, durationMs: this.connection.clock.now() - started, polls: outcome.polls });
      return outcome;
    } catch (error) {
      observe({ outcome: 'error', durationMs: this.connection.clock.now() - started, polls: 0 });
      throw error;
    }
  }

  #url(path: string): URL {
    return new URL(path, this.baseUrl);
  }

  #sameOrigin(raw: string, what: string): URL {
    let url: URL;
    try {
      url = new URL(raw, this.baseUrl);
    } catch {
      throw new MindeeResponseError(`Mindee returned an invalid ${what}: ${quote(this.redact(raw))}.`);
    }
    if (url.origin !== this.baseUrl.origin) {
      throw new MindeeOriginError(
        `Mindee returned a ${what} on another origin (${url.origin}) than the configured API (${this.baseUrl.origin}); it was not followed, so the API key was not sent there.`,
        { hint: `If the API really lives at ${url.origin}, set MINDEE_V2_BASE_URL to it. Otherwise read the result by its inference id.` },
      );
    }
    return url;
  }

  #send(method: 'GET' | 'POST', url: URL, action: string, route: string, options: CallOptions, body?: () => MultipartBody) {
    if (!this.#apiKey) throw new MindeeConfigError('No Mindee API key is configured.', { hint: this.connection.missingKeyHint });
    return this.connection.transport.request({
      method,
      url,
      apiKey: this.#apiKey,
      budget: this.#budget,
      action,
      route,
      redact: this.redact,
      caller: this.#partition,
      body,
      ...options,
    });
  }

  #parse<S extends z.ZodType>(schema: S, response: { json: unknown }, action: string): z.infer<S> {
    const parsed = schema.safeParse(response.json);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown shape';
    throw new MindeeResponseError(`Mindee's answer when asked to ${action} does not have the documented shape (${quote(where, 200)}).`, {
      hint: 'The API may have changed, or MINDEE_V2_BASE_URL does not point at a Mindee v2 API.',
    });
  }
}
