/**
 * The Mindee v2 HTTP client: one keep-alive connection pool, the key sent only to the
 * configured origin, time-outs on every request, a shared rate budget, typed errors.
 * It speaks the API's words (job, inference, model_id) and knows nothing of MCP.
 */
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import {
  MindeeAbortError,
  MindeeApiError,
  MindeeConfigError,
  MindeeError,
  MindeeInputError,
  MindeeNetworkError,
  MindeeNotSentError,
  MindeeOriginError,
  MindeeResponseError,
  MindeeTimeoutError,
} from './errors.js';
import { enqueueFormBody, type MultipartBody } from './multipart.js';
import type { ByteSource } from './pdf-encryption.js';
import { DEFAULT_RESULT_CACHE, ResultCache, type ResultCacheOptions } from './result-cache.js';
import { DEFAULT_POLLING, PollPlanner, RateBudget, abortError, parseApiTime, sleep, type PollingOptions } from './polling.js';
import {
  inferenceResponseSchema,
  jobResponseSchema,
  problemSchema,
  searchModelsResponseSchema,
  type Inference,
  type Job,
  type Product,
  type SearchModelsResponse,
} from './schemas.js';
import { USER_AGENT } from '../version.js';

export const DEFAULT_BASE_URL = 'https://api-v2.mindee.net';

/** Mindee's documented limits per organisation are 200 POST and 1200 GET a minute; stay under. */
export const DEFAULT_RATE_LIMITS: { postPerMinute: number; getPerMinute: number; windowMs?: number } = { postPerMinute: 180, getPerMinute: 1080 };

export interface RetryOptions {
  /** Retries of one request after its first attempt. */
  maxRetries: number;
  /** First backoff, ms; doubles with each retry, with full jitter. */
  baseDelayMs: number;
  /** Longest single backoff, ms (a longer Retry-After is cut to it). */
  maxDelayMs: number;
  /** A GET whose headers take longer than this is given up and retried, ms. */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxRetries: 4, baseDelayMs: 250, maxDelayMs: 8000, attemptTimeoutMs: 15_000 };

/** Transient failures of an idempotent GET: connection trouble, overload, a stuck attempt. */
const RETRY_STATUSES = [429, 500, 502, 503, 504];
const RETRY_ERROR_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
];

export interface MindeeClientOptions {
  apiKey: string | undefined;
  baseUrl?: string;
  /** Per-request time-out, milliseconds (MINDEE_REQUEST_TIMEOUT is in seconds). */
  requestTimeoutMs?: number;
  /** For tests: an undici MockAgent or any dispatcher. The client then does not own it. */
  dispatcher?: Dispatcher;
  polling?: Partial<PollingOptions>;
  /** Requests per window (default a minute) the whole process may send; tests shrink the window. */
  rateLimits?: { postPerMinute: number; getPerMinute: number; windowMs?: number };
  retry?: Partial<RetryOptions>;
  userAgent?: string;
  resultCache?: Partial<ResultCacheOptions>;
  /** How the client explains a missing key; the CLI points at --emulator. */
  missingKeyHint?: string;
}

/** What is uploaded: a file (streamed from its source, anew for each attempt) or a URL Mindee fetches itself. */
export type UploadDocument =
  | { kind: 'file'; source: ByteSource; filename: string; mimeType?: string; pageCount?: number | null }
  | { kind: 'url'; url: string };

export interface EnqueueParams {
  modelId: string;
  product?: Product;
  alias?: string;
  webhookIds?: string[];
  rag?: boolean;
  rawText?: boolean;
  polygon?: boolean;
  confidence?: boolean;
  textContext?: string;
  /** `{replace: {fields: [...]}}` as an object or an already serialised JSON string. */
  dataSchema?: unknown;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Absolute time (ms since epoch) no request may run past. */
  deadline?: number;
  /** Place in the queue when the rate budget is short: lower goes first (default 1). */
  priority?: number;
}

export interface WaitProgress {
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

const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const EXTRACTION_ONLY: Array<keyof EnqueueParams> = ['rag', 'rawText', 'polygon', 'confidence', 'textContext', 'dataSchema'];

/** Checks an id that goes into a URL path: letters, digits, `-` and `_` only. */
export function checkId(id: string, what: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new MindeeInputError(
      `Invalid ${what} ${JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id)}: ids contain only letters, digits, "-" and "_".`,
      { hint: `Pass the ${what} exactly as a previous call returned it.` },
    );
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
    if (i >= 0 && parts[i + 2] === 'results') return parts[i + 1] as Product;
    if (parts.includes('inferences')) return 'extraction';
  } catch {
    // fall through
  }
  return null;
}

export class MindeeClient {
  readonly baseUrl: URL;
  readonly requestTimeoutMs: number;
  readonly polling: PollingOptions;
  readonly budgets: { get: RateBudget; post: RateBudget };
  private readonly apiKey: string | undefined;
  private readonly givenDispatcher: Dispatcher | undefined;
  /**
   * undici, loaded on the first request (it is a tenth of the server's start-up otherwise): the
   * pool, the same pool behind undici's retry interceptor (driven per request by retryOptions).
   */
  private http: Promise<{ undici: typeof import('undici'); dispatcher: Dispatcher; retrying: Dispatcher }> | undefined;
  readonly retry: RetryOptions;
  /** Retries done since the client started, for tests and benchmarks. */
  retries = 0;
  private readonly ownsDispatcher: boolean;
  private readonly userAgent: string;
  private readonly missingKeyHint: string;
  /** Jobs this client enqueued: when, where to, and how many pages, for the poll planner. */
  private readonly tracked = new Map<string, { at: number; product: Product; modelId: string; pages: number | null }>();
  readonly planner: PollPlanner;
  /** The result_url of each processed job seen, by inference id: the authoritative route. */
  private readonly resultUrls = new Map<string, string>();
  readonly results: ResultCache;

  constructor(options: MindeeClientOptions) {
    const base = options.baseUrl ?? DEFAULT_BASE_URL;
    this.baseUrl = new URL(base.endsWith('/') ? base : `${base}/`);
    this.apiKey = options.apiKey && options.apiKey.length > 0 ? options.apiKey : undefined;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
    this.polling = { ...DEFAULT_POLLING, ...options.polling };
    this.planner = new PollPlanner(this.polling);
    const limits = options.rateLimits ?? DEFAULT_RATE_LIMITS;
    this.budgets = {
      get: new RateBudget(limits.getPerMinute, Date.now, limits.windowMs),
      post: new RateBudget(limits.postPerMinute, Date.now, limits.windowMs),
    };
    this.userAgent = options.userAgent ?? USER_AGENT;
    this.results = new ResultCache({ ...DEFAULT_RESULT_CACHE, ...options.resultCache });
    this.missingKeyHint = options.missingKeyHint ?? 'Set MINDEE_V2_API_KEY to a Mindee v2 API key (md_…).';
    this.givenDispatcher = options.dispatcher;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  private loadHttp() {
    this.http ??= import('undici').then((undici) => {
      const dispatcher = this.givenDispatcher ?? new undici.Agent({ keepAliveTimeout: 30_000, connections: 32 });
      return { undici, dispatcher, retrying: dispatcher.compose(undici.interceptors.retry({ maxRetries: 0, methods: ['GET'] })) };
    });
    return this.http;
  }

  /** Replaces every occurrence of the API key in a text: errors never carry it. */
  redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('[redacted]') : text;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher && this.http) await (await this.http).dispatcher.close();
  }

  // ---- routes ------------------------------------------------------------------------------

  async enqueue(document: UploadDocument, params: EnqueueParams, options: CallOptions = {}): Promise<Job> {
    const product = params.product ?? 'extraction';
    if (product !== 'extraction') {
      const extra = EXTRACTION_ONLY.filter((k) => params[k] !== undefined);
      if (extra.length > 0) {
        throw new MindeeInputError(
          `The option(s) ${extra.map(snake).join(', ')} apply only to the extraction product, not to ${product}.`,
          { hint: 'Remove them, or use product "extraction".' },
        );
      }
    }
    checkId(params.modelId, 'model_id');
    if (params.webhookIds) for (const id of params.webhookIds) checkId(id, 'webhook id');
    const path = product === 'extraction' ? 'v2/inferences/enqueue' : `v2/products/${product}/enqueue`;
    // Retried only where no job can have been created: the connection was refused, or Mindee
    // answered 429 before looking at the document. Anything else may have made a job.
    let response!: Awaited<ReturnType<MindeeClient['send']>>;
    for (let attempt = 0; ; attempt++) {
      try {
        response = await this.send('POST', this.url(path), 'enqueue the document', { ...options, body: enqueueFormBody(document, params) });
        break;
      } catch (error) {
        const refused = error instanceof MindeeNetworkError && error.code === 'ECONNREFUSED';
        const limited = error instanceof MindeeApiError && error.status === 429;
        if (!refused && !limited) throw mayHaveEnqueued(error);
        if (attempt >= this.retry.maxRetries) throw error;
        const wait =
          limited && error.retryAfterSeconds !== null
            ? Math.min(error.retryAfterSeconds * 1000, this.retry.maxDelayMs)
            : Math.random() * Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
        if (options.deadline !== undefined && Date.now() + wait >= options.deadline) throw error;
        this.retries++;
        await sleep(wait, options.signal);
      }
    }
    const job = this.parse(jobResponseSchema, response, 'enqueue the document').job;
    this.tracked.set(job.id, {
      at: Date.now(),
      product,
      modelId: params.modelId,
      pages: document.kind === 'file' ? (document.pageCount ?? null) : null,
    });
    // Forget old jobs, so a long-running server keeps a bounded map.
    if (this.tracked.size > 10_000) this.tracked.delete(this.tracked.keys().next().value!);
    return job;
  }

  async getJob(jobId: string, options: CallOptions = {}): Promise<Job> {
    const id = checkId(jobId, 'job_id');
    const response = await this.send('GET', this.url(`v2/jobs/${id}`), 'return the job status', options);
    const job = this.parse(jobResponseSchema, response, 'return the job status').job;
    this.remember(job);
    return job;
  }

  private remember(job: Job): void {
    const inferenceId = inferenceIdFromResultUrl(job.result_url);
    // A result_url on another origin is never used: the result is then fetched by id, here.
    if (!inferenceId || !job.result_url || new URL(job.result_url).origin !== this.baseUrl.origin) return;
    this.resultUrls.delete(inferenceId);
    this.resultUrls.set(inferenceId, job.result_url);
    if (this.resultUrls.size > 10_000) this.resultUrls.delete(this.resultUrls.keys().next().value!);
  }

  /** The product of a result this client has seen the job of, if any. */
  knownProduct(inferenceId: string): Product | null {
    return productFromResultUrl(this.resultUrls.get(inferenceId) ?? null);
  }

  /** The product a job this client enqueued was sent to, if it did. */
  productOfJob(jobId: string): Product | null {
    return this.tracked.get(jobId)?.product ?? null;
  }

  /**
   * Fetches a result: from the cache when it was fetched before; else by the job's result_url
   * (refused if it points at another origin: the key is never sent there), by the result_url
   * remembered for that inference id, or by the product's result route on the configured origin.
   */
  async getResult(target: { inferenceId: string; product?: Product } | { resultUrl: string }, options: CallOptions = {}): Promise<Inference> {
    let url: URL;
    let id: string | null;
    if ('resultUrl' in target) {
      url = this.sameOrigin(target.resultUrl, 'result_url');
      id = inferenceIdFromResultUrl(url.href);
    } else {
      id = target.inferenceId;
      const encoded = checkId(id, 'inference_id');
      const remembered = this.resultUrls.get(id);
      if (remembered) url = this.sameOrigin(remembered, 'result_url');
      else {
        const product = target.product ?? 'extraction';
        url = this.url(product === 'extraction' ? `v2/inferences/${encoded}` : `v2/products/${product}/results/${encoded}`);
      }
    }
    const cached = id ? this.results.get(id) : undefined;
    if (cached) return cached;
    const response = await this.send('GET', url, 'return the result', options);
    const inference = this.parse(inferenceResponseSchema, response, 'return the result').inference;
    this.results.set(inference, response.bytes);
    return inference;
  }

  async searchModels(query: { name?: string; modelType?: string; page?: number; perPage?: number } = {}, options: CallOptions = {}): Promise<SearchModelsResponse> {
    const url = this.url('v2/search/models');
    if (query.name) url.searchParams.set('name', query.name);
    if (query.modelType) url.searchParams.set('model_type', query.modelType);
    if (query.page !== undefined) url.searchParams.set('page', String(query.page));
    if (query.perPage !== undefined) url.searchParams.set('per_page', String(query.perPage));
    const response = await this.send('GET', url, 'list the models', options);
    return this.parse(searchModelsResponseSchema, response, 'list the models');
  }

  /**
   * Polls a job until it is processed or failed, then (by default) fetches its result. Stops at
   * once on abort; never runs past the deadline: when time runs out it returns the job as it
   * last saw it, still processing, so the caller can hand back a job to poll later.
   */
  async waitForResult(job: Job, options: WaitOptions = {}): Promise<WaitOutcome> {
    const { signal, deadline = Number.POSITIVE_INFINITY, onProgress } = options;
    const waitStarted = Date.now();
    const known = this.tracked.get(job.id);
    const startedAt = options.startedAt ?? known?.at ?? sinceCreated(job, waitStarted);
    const modelId = known?.modelId ?? job.model_id;
    const pages = known?.pages ?? null;
    let current = job;
    let polls = 0;
    // Polls are idempotent: a poll that fails for a passing reason is simply made again later.
    let failures = 0;
    let lastFailure: MindeeError | null = null;
    const timeLeft = () => deadline - Date.now() > Math.min(1000, this.polling.minIntervalMs);
    try {
      for (;;) {
        if (signal?.aborted) throw abortError(signal);
        if (current.status === 'Failed') return { state: 'failed', job: current, polls };
        if (current.status === 'Processed') {
          if (failures === 0) this.learn(current, modelId, pages);
          if (options.fetchResult === false) return { state: 'processed', job: current, inference: null, resultError: null, polls };
          try {
            // A finished job's result goes before any poll: it is what the caller waits for.
            const inference = await this.resultOfJob(current, { signal, deadline, priority: 0 });
            return { state: 'processed', job: current, inference, resultError: null, polls };
          } catch (error) {
            if (error instanceof MindeeAbortError || !(error instanceof MindeeError)) throw error;
            if (!isTransient(error) || ++failures > MAX_TRANSIENT_FAILURES || !timeLeft()) {
              return { state: 'processed', job: current, inference: null, resultError: error, polls };
            }
            await sleep(Math.min(this.backoff(failures), Math.max(0, deadline - Date.now())), signal);
            continue;
          }
        }
        const now = Date.now();
        const delay = failures > 0 ? this.backoff(failures) : this.planner.nextDelay({ modelId, pages, elapsedMs: now - startedAt, polls });
        // Leave room for the poll itself before the deadline; if there is none, hand back.
        const wakeAt = Math.min(now + delay, deadline - Math.min(1000, this.polling.minIntervalMs));
        if (wakeAt <= now && polls > 0) return { state: 'processing', job: current, polls };
        await sleep(wakeAt - now, signal);
        try {
          // When GETs are short, the jobs most likely done are checked first.
          const likely = this.planner.doneLikelihood({ modelId, pages, elapsedMs: Date.now() - startedAt, polls });
          current = await this.getJob(current.id, { signal, deadline, priority: 2 - likely });
          failures = 0;
        } catch (error) {
          if (error instanceof MindeeTimeoutError && Date.now() >= deadline - 50) return { state: 'processing', job: current, polls };
          if (!(error instanceof MindeeError) || error instanceof MindeeAbortError || !isTransient(error)) throw error;
          lastFailure = error;
          if (++failures > MAX_TRANSIENT_FAILURES) throw lastFailure;
          if (!timeLeft()) return { state: 'processing', job: current, polls };
        }
        polls++;
        onProgress?.({ jobId: current.id, status: current.status, polls, elapsedMs: Date.now() - waitStarted });
      }
    } catch (error) {
      if (signal?.aborted && !(error instanceof MindeeAbortError)) throw abortError(signal);
      throw error;
    }
  }

  /** Jittered exponential backoff after the nth passing failure in a row. */
  private backoff(failures: number): number {
    return Math.random() * Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** failures);
  }

  /** Feeds the planner the job's real processing time, as Mindee measured it. */
  private learn(job: Job, modelId: string | null, pages: number | null): void {
    const created = parseApiTime(job.created_at);
    const completed = parseApiTime(job.completed_at);
    if (created !== null && completed !== null) this.planner.observe(modelId, pages, completed - created);
  }

  /** The result of a processed job, from its result_url when it has one. */
  async resultOfJob(job: Job, options: CallOptions = {}): Promise<Inference> {
    if (job.result_url) return this.getResult({ resultUrl: job.result_url }, options);
    throw new MindeeResponseError(`Job ${job.id} is processed but Mindee gave no result_url for it.`, {
      hint: 'Call get_inference_result with the inference id if you have it, or enqueue the document again.',
    });
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private url(path: string): URL {
    return new URL(path, this.baseUrl);
  }

  private sameOrigin(raw: string, what: string): URL {
    let url: URL;
    try {
      url = new URL(raw, this.baseUrl);
    } catch {
      throw new MindeeResponseError(`Mindee returned an invalid ${what}: ${JSON.stringify(this.redact(raw))}.`);
    }
    if (url.origin !== this.baseUrl.origin) {
      throw new MindeeOriginError(
        `Mindee returned a ${what} on another origin (${url.origin}) than the configured API (${this.baseUrl.origin}); it was not followed, so the API key was not sent there.`,
        {
          hint: `If the API really lives at ${url.origin}, set MINDEE_V2_BASE_URL to it. Otherwise fetch the result by its inference id with get_inference_result.`,
        },
      );
    }
    return url;
  }

  private async send(
    method: 'GET' | 'POST',
    url: URL,
    action: string,
    options: CallOptions & { body?: MultipartBody },
  ): Promise<{ status: number; json: unknown; bytes: number }> {
    if (!this.apiKey) {
      throw new MindeeConfigError('No Mindee API key is configured.', { hint: this.missingKeyHint });
    }
    if (url.origin !== this.baseUrl.origin) throw new Error(`internal: refusing to send the key to ${url.origin}`);
    const { signal, deadline } = options;
    if (signal?.aborted) throw abortError(signal);
    // Each attempt (the first, and any retry) holds a slot of the shared budget until it ends.
    const settles = [await (method === 'GET' ? this.budgets.get : this.budgets.post).take(signal, deadline, options.priority)];
    try {
      return await this.attempt(method, url, action, options, settles);
    } finally {
      for (const settle of settles) settle();
    }
  }

  private async attempt(
    method: 'GET' | 'POST',
    url: URL,
    action: string,
    options: CallOptions & { body?: MultipartBody },
    settles: Array<() => void>,
  ): Promise<{ status: number; json: unknown; bytes: number }> {
    const { signal, deadline } = options;

    const budgetMs = deadline === undefined ? this.requestTimeoutMs : Math.min(this.requestTimeoutMs, deadline - Date.now());
    if (budgetMs <= 0) throw new MindeeNotSentError(`No time was left to ${action}.`, { hint: 'Nothing was sent. Try again with a longer wait.' });
    const timeout = AbortSignal.timeout(budgetMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const endsAt = Date.now() + budgetMs;
    // A GET is retried on transient failures within its own time-out; each attempt of it is
    // bounded on its own, so a stuck connection costs one attempt, not the whole budget.
    const attemptMs = method === 'GET' ? Math.min(budgetMs, this.retry.attemptTimeoutMs) : budgetMs;

    let statusCode: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const http = await this.loadHttp();
      const response = await http.undici.request(url, {
        method,
        dispatcher: method === 'GET' ? http.retrying : http.dispatcher,
        headers: {
          authorization: this.apiKey,
          'user-agent': this.userAgent,
          accept: 'application/json',
          ...(options.body ? { 'content-type': options.body.contentType, 'content-length': String(options.body.contentLength) } : {}),
        },
        body: options.body?.stream(),
        signal: combined,
        headersTimeout: attemptMs,
        bodyTimeout: attemptMs,
        ...(method === 'GET' ? { retryOptions: this.retryOptions(signal, endsAt, settles) } : {}),
      } as Parameters<typeof http.undici.request>[1]);
      statusCode = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      // The body's own failure (the document changed while it was read), not the network's.
      if (error instanceof MindeeError) throw error;
      if (timeout.aborted || isTimeoutError(error)) {
        throw new MindeeTimeoutError(`Mindee did not answer in time (${Math.round(budgetMs / 100) / 10} s) when asked to ${action}.`, {
          cause: error,
          hint: 'Try again; if it keeps happening, raise MINDEE_REQUEST_TIMEOUT or check the network.',
        });
      }
      const retried = error as { code?: string; statusCode?: number; headers?: Record<string, string | string[] | undefined> };
      if (retried.code === 'UND_ERR_REQ_RETRY' && retried.statusCode) {
        // The retry interceptor gave up on an error status: its body is gone, its status is not.
        throw new MindeeApiError({
          status: retried.statusCode,
          action,
          detail: `It kept answering HTTP ${retried.statusCode} after ${this.retry.maxRetries} retries.`,
          retryAfterSeconds: parseRetryAfter(retried.headers?.['retry-after']),
        });
      }
      const code = errorCode(error);
      throw new MindeeNetworkError(
        `Could not reach the Mindee API at ${this.baseUrl.origin} to ${action}${code ? ` (${code})` : ''}: ${this.redact(errorMessage(error))}.`,
        { cause: error, hint: 'Check the network and MINDEE_V2_BASE_URL, then try again.', code },
      );
    }

    // The job route answers 302 once processed; its body is still the job.
    if (statusCode >= 400 || (statusCode >= 300 && statusCode !== 302)) {
      throw this.apiError(statusCode, headers, text, action);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MindeeResponseError(
        `Mindee answered HTTP ${statusCode} to ${action}, but its body is not valid JSON (${contentType(headers)}, ${text.length} bytes).`,
        { hint: 'This is usually a passing fault of the API or a proxy: try again.' },
      );
    }
    return { status: statusCode, json, bytes: text.length };
  }

  /** Per-request options of undici's retry interceptor: our backoff, our budget, our deadline. */
  private retryOptions(signal: AbortSignal | undefined, endsAt: number, settles: Array<() => void>) {
    const { maxRetries, baseDelayMs, maxDelayMs } = this.retry;
    return {
      maxRetries,
      methods: ['GET'],
      statusCodes: RETRY_STATUSES,
      errorCodes: RETRY_ERROR_CODES,
      retry: (
        err: Error & { statusCode?: number; code?: string; headers?: Record<string, string | string[] | undefined> },
        context: { state: { counter: number } },
        callback: (err?: Error | null) => void,
      ) => {
        const { statusCode, code } = err;
        const retryable =
          (statusCode !== undefined && RETRY_STATUSES.includes(statusCode)) ||
          (statusCode === undefined && code !== undefined && RETRY_ERROR_CODES.includes(code));
        if (!retryable || context.state.counter > maxRetries || signal?.aborted) return callback(err);
        const retryAfter = parseRetryAfter(err.headers?.['retry-after']);
        const delay =
          retryAfter !== null
            ? Math.min(retryAfter * 1000, maxDelayMs)
            : Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (context.state.counter - 1));
        // Never retry into the deadline: answer with what we have instead.
        if (Date.now() + delay >= endsAt - 50) return callback(err);
        this.retries++;
        setTimeout(() => {
          this.budgets.get.take(signal, endsAt, 0).then(
            (settle) => {
              settles.push(settle);
              callback(null);
            },
            () => callback(err),
          );
        }, delay).unref?.();
      },
    };
  }

  private apiError(status: number, headers: Record<string, string | string[] | undefined>, text: string, action: string): MindeeApiError {
    const retryAfter = parseRetryAfter(headers['retry-after']);
    let body: z.infer<typeof problemSchema> | null = null;
    try {
      const parsed = problemSchema.safeParse(JSON.parse(text));
      if (parsed.success) body = parsed.data;
    } catch {
      // A proxy's HTML page or an empty body: the status says enough.
    }
    const r = (s: string | null) => (s === null ? null : this.redact(s));
    if (!body) {
      return new MindeeApiError({
        status,
        action,
        title: null,
        detail: text.length > 0 ? `The error body is not JSON (${contentType(headers)}).` : 'The error response has no body.',
        retryAfterSeconds: retryAfter,
      });
    }
    return new MindeeApiError({
      status,
      action,
      code: r(body.code),
      title: r(body.title),
      detail: r(body.detail),
      errors: body.errors.map((e) => ({ pointer: r(e.pointer), detail: this.redact(e.detail) })),
      retryAfterSeconds: retryAfter,
    });
  }

  private parse<S extends z.ZodType>(schema: S, response: { json: unknown }, action: string): z.infer<S> {
    const parsed = schema.safeParse(response.json);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown shape';
    throw new MindeeResponseError(`Mindee's answer when asked to ${action} does not have the documented shape (${where}).`, {
      hint: 'The API may have changed, or MINDEE_V2_BASE_URL does not point at a Mindee v2 API.',
    });
  }
}

/** An enqueue that failed after the request went out may still have created a job: say so. */
function mayHaveEnqueued(error: unknown): unknown {
  if (error instanceof MindeeNotSentError) return error;
  if (error instanceof MindeeNetworkError || error instanceof MindeeTimeoutError || error instanceof MindeeResponseError) {
    const Kind = error.constructor as new (message: string, options: { cause?: unknown; hint?: string }) => MindeeError;
    return new Kind(error.message, {
      cause: error,
      hint: 'Mindee may or may not have received the document, so a job may exist for it. Sending it again is safe but may process it twice; give it an alias to tell the copies apart.',
    });
  }
  return error;
}

/** Failures that say nothing about the job: the next poll may well succeed. */
const MAX_TRANSIENT_FAILURES = 3;
function isTransient(error: MindeeError): boolean {
  if (error instanceof MindeeApiError) return error.status === 429 || error.status >= 500;
  return error instanceof MindeeNetworkError || error instanceof MindeeResponseError || error instanceof MindeeTimeoutError;
}

/** When a job this client did not enqueue started, by Mindee's clock, if that is plausible here. */
function sinceCreated(job: Job, now: number): number {
  const created = parseApiTime(job.created_at);
  return created !== null && created <= now && now - created < 24 * 3600_000 ? created : now;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function contentType(headers: Record<string, string | string[] | undefined>): string {
  const value = headers['content-type'];
  const first = Array.isArray(value) ? value[0] : value;
  return first ? first.split(';')[0]!.trim() : 'no content type';
}

function parseRetryAfter(value: string | string[] | undefined): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, Math.round((date - Date.now()) / 1000));
}

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR_') ) return code;
    e = (e as { cause?: unknown }).cause;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isTimeoutError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    (error instanceof Error && error.name === 'TimeoutError')
  );
}
