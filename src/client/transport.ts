/**
 * Every request to Mindee goes through here: one keep-alive connection pool, the key sent only
 * to the configured origin, a slot of the rate budget per attempt, a time-out on every attempt
 * and on the whole, the one retry policy, bounded response bodies, and typed errors that never
 * carry the key.
 */
import { Readable } from 'node:stream';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import { redactJsonInPlace, type Redactor } from '../lib/redact.js';
import { sleep, type Clock } from '../lib/clock.js';
import { RateBudgetDeadlineError, type RateBudget } from '../state/rate-budget.js';
import type { Priority } from '../state/wait-queue.js';
import { clip, errorMessage, formatBytes } from '../lib/text.js';
import {
  MindeeAbortError,
  MindeeApiError,
  MindeeError,
  MindeeNetworkError,
  MindeeNotSentError,
  MindeeResponseError,
  MindeeTimeoutError,
} from './errors.js';
import { backoffMs, isRetryable, parseRetryAfter, type RetryOptions } from './retry.js';
import type { MultipartBody } from './multipart.js';
import { problemSchema } from './schemas.js';

/** The largest answer read by default: a result is at most tens of MB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** The deepest JSON read: Mindee's results nest a few levels per level of the data schema. */
const MAX_JSON_DEPTH = 128;
/** Enqueues refused by the rate limit that are sent again (each after the wait Mindee asked for). */
const MAX_RATE_LIMITED_RETRIES = 20;
/** How much of an error's text from outside is quoted back. */
const QUOTED_CHARS = 500;
const QUOTED_ITEMS = 20;

export interface TransportOptions {
  baseUrl: URL;
  requestTimeoutMs: number;
  retry: RetryOptions;
  userAgent: string;
  clock: Clock;
  maxResponseBytes: number;
  /** An undici MockAgent or any dispatcher; the transport then does not own it. */
  dispatcher?: Dispatcher;
  /** Sees every attempt: for metrics and logs. */
  observe?: (event: AttemptEvent) => void;
}

export interface AttemptEvent {
  method: 'GET' | 'POST';
  route: string;
  /** HTTP status, or null when no answer came. */
  status: number | null;
  durationMs: number;
  /** This attempt's failure will be retried. */
  retried: boolean;
}

export interface ApiRequest {
  method: 'GET' | 'POST';
  url: URL;
  apiKey: string;
  budget: RateBudget;
  /** What is being asked, for messages: "return the job status". */
  action: string;
  /** A short name of the route, for metrics: enqueue, job, result, search. */
  route: string;
  redact: Redactor;
  /** The body, streamed anew for each attempt (a sent stream is consumed). */
  body?: () => MultipartBody;
  signal?: AbortSignal;
  /** Absolute time no attempt may run past. */
  deadline?: number;
  /** Place in the budget's queue: lower goes first. */
  priority?: Priority;
  /** Who asks, for fair shares of a budget several callers wait for (a partition id). */
  caller?: string;
}

export interface ApiResponse {
  status: number;
  /** The parsed body, with every secret redacted. */
  json: unknown;
  /** The body text, with every secret redacted (it parses to `json`). */
  text: string;
}

type Headers = Record<string, string | string[] | undefined>;

export class Transport {
  /** undici, loaded on the first request (a tenth of the server's start-up otherwise). */
  #http: Promise<{ undici: typeof Undici; dispatcher: Dispatcher }> | undefined;
  readonly #owns: boolean;

  constructor(readonly options: TransportOptions) {
    this.#owns = options.dispatcher === undefined;
  }

  get origin(): string {
    return this.options.baseUrl.origin;
  }

  async close(): Promise<void> {
    if (this.#owns && this.#http) await (await this.#http).dispatcher.close();
  }

  /** Loads undici and its pool. */
  http() {
    this.#http ??= import('undici').then((undici) => ({
      undici,
      dispatcher: this.options.dispatcher ?? new undici.Agent({ keepAliveTimeout: 30_000, connections: 32 }),
    }));
    return this.#http;
  }

  async request(req: ApiRequest): Promise<ApiResponse> {
    if (req.url.origin !== this.origin) throw new Error(`internal: refusing to send the key to ${req.url.origin}`);
    const { clock, retry } = this.options;
    const started = clock.now();
    const endsAt = Math.min(started + this.options.requestTimeoutMs, req.deadline ?? Number.POSITIVE_INFINITY);
    let rateLimited = 0;
    for (let attempt = 0; ; attempt++) {
      if (req.signal?.aborted) throw abortError(req.signal);
      if (endsAt - clock.now() <= 0) {
        throw new MindeeNotSentError(`No time was left to ${req.action}.`, { hint: 'Nothing was sent. Try again with a longer wait.' });
      }
      const settle = await this.#slot(req, endsAt, attempt);
      const attemptStarted = clock.now();
      let failure: MindeeError;
      let status: number | null;
      try {
        const response = await this.#attempt(req, endsAt);
        this.options.observe?.({ method: req.method, route: req.route, status: response.status, durationMs: clock.now() - attemptStarted, retried: false });
        return response;
      } catch (error) {
        if (!(error instanceof MindeeError)) throw error;
        failure = error;
        status = error instanceof MindeeApiError ? error.status : null;
      } finally {
        settle();
      }
      const retryAfter = failure instanceof MindeeApiError ? failure.retryAfterSeconds : null;
      // An enqueue refused by the rate limit created no job: it waits as told and tries again for
      // as long as its time allows, not just maxRetries times.
      const refusedEnqueue = req.method === 'POST' && status === 429;
      if (refusedEnqueue) rateLimited++;
      const delay = refusedEnqueue && retryAfter !== null ? retryAfter * 1000 : backoffMs(attempt + 1, retry, retryAfter);
      const triesLeft = refusedEnqueue ? rateLimited <= MAX_RATE_LIMITED_RETRIES : attempt - rateLimited < retry.maxRetries;
      const inTime = clock.now() + delay < endsAt - 50;
      const again = triesLeft && !(failure instanceof MindeeAbortError) && isRetryable(req.method, failure) && inTime;
      this.options.observe?.({ method: req.method, route: req.route, status, durationMs: clock.now() - attemptStarted, retried: again });
      if (refusedEnqueue && !again && !inTime) {
        throw new MindeeNotSentError(
          `Mindee's rate limit refused to ${req.action} (HTTP 429)${retryAfter !== null ? ` and asked to wait ${retryAfter} s` : ''}, longer than the time left: no job was created.`,
          { cause: failure, hint: `Nothing was created. Send it again ${retryAfter !== null ? `in ${retryAfter} s` : 'in a minute'}.` },
        );
      }
      if (!again) {
        if (attempt > 0) failure.message += ` (it kept failing after ${attempt} ${attempt === 1 ? 'retry' : 'retries'})`;
        throw req.method === 'POST' ? mayHaveEnqueued(failure) : failure;
      }
      try {
        await sleep(clock, delay, req.signal);
      } catch {
        throw abortError(req.signal!);
      }
    }
  }

  async #slot(req: ApiRequest, endsAt: number, attempt: number) {
    try {
      // A retry goes before first attempts: it is already owed an answer.
      return await req.budget.take(req.method === 'GET' ? 'get' : 'post', {
        signal: req.signal,
        deadline: Number.isFinite(endsAt) ? endsAt : undefined,
        priority: attempt > 0 ? 0 : req.priority,
        caller: req.caller,
      });
    } catch (error) {
      if (error instanceof RateBudgetDeadlineError) {
        throw new MindeeNotSentError('No request slot became free before the deadline (the shared rate budget is exhausted).', {
          hint: 'Nothing was sent. Try again in a minute, or raise the wait.',
        });
      }
      if (req.signal?.aborted) throw abortError(req.signal);
      throw error;
    }
  }

  async #attempt(req: ApiRequest, endsAt: number): Promise<ApiResponse> {
    const { clock } = this.options;
    const left = endsAt - clock.now();
    // A GET is retried, so one stuck attempt must not use up the whole budget.
    const attemptMs = req.method === 'GET' ? Math.min(left, this.options.retry.attemptTimeoutMs) : left;
    const timeout = new AbortController();
    const timer = clock.setTimeout(() => timeout.abort(new Error('attempt timed out')), attemptMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout.signal]) : timeout.signal;
    let statusCode: number;
    let headers: Headers;
    let text: string;
    try {
      const http = await this.http();
      const body = req.body?.();
      const response = await http.undici.request(req.url, {
        method: req.method,
        dispatcher: http.dispatcher,
        headers: {
          authorization: req.apiKey,
          'user-agent': this.options.userAgent,
          accept: 'application/json',
          ...(body ? { 'content-type': body.contentType, 'content-length': String(body.contentLength) } : {}),
        },
        body: body ? Readable.from(body.stream(), { objectMode: false }) : undefined,
        signal,
        headersTimeout: attemptMs,
        bodyTimeout: attemptMs,
      });
      statusCode = response.statusCode;
      headers = response.headers;
      text = await readBounded(response.body, headers, this.options.maxResponseBytes, req.action);
    } catch (error) {
      if (req.signal?.aborted) throw abortError(req.signal);
      if (error instanceof MindeeError) throw error;
      if (timeout.signal.aborted || isTimeoutError(error)) {
        throw new MindeeTimeoutError(`Mindee did not answer in time (${Math.round(attemptMs / 100) / 10} s) when asked to ${req.action}.`, {
          cause: error,
          hint: 'Try again; if it keeps happening, raise MINDEE_REQUEST_TIMEOUT or check the network.',
        });
      }
      const code = systemCode(error);
      throw new MindeeNetworkError(
        `Could not reach the Mindee API at ${this.origin} to ${req.action}${code ? ` (${code})` : ''}: ${req.redact(clip(errorMessage(error), QUOTED_CHARS))}.`,
        { cause: error, hint: 'Check the network and MINDEE_V2_BASE_URL, then try again.', systemCode: code },
      );
    } finally {
      clock.clearTimeout(timer);
    }

    // The job route answers 302 once processed; its body is still the job.
    if (statusCode >= 400 || (statusCode >= 300 && statusCode !== 302)) {
      throw apiError(statusCode, headers, text, req, clock.now());
    }
    // The key in the text itself (fast), and, where JSON escapes could spell it otherwise, in what they decode to.
    text = req.redact(text);
    const json = parseJson(text);
    if (json === undefined) {
      throw new MindeeResponseError(
        `Mindee answered HTTP ${statusCode} to ${req.action}, but its body is not valid JSON (${contentType(headers)}, ${text.length} bytes).`,
        { hint: 'This is usually a transient fault of the API or a proxy: try again.' },
      );
    }
    if (json === TOO_DEEP) {
      throw new MindeeResponseError(`Mindee's answer to ${req.action} nests deeper than ${MAX_JSON_DEPTH} levels; it was not read.`, {
        code: 'response_too_large',
        hint: 'No Mindee result nests this deep: check that MINDEE_V2_BASE_URL points at the Mindee v2 API.',
      });
    }
    if (text.includes('\\u')) {
      redactJsonInPlace(json, req.redact);
      text = JSON.stringify(json);
    }
    return { status: statusCode, json, text };
  }
}

/** Reads a body up to `max` bytes; past it, stops reading and says which bound was hit. */
async function readBounded(body: AsyncIterable<Uint8Array> & { destroy?: (e?: Error) => void }, headers: Headers, max: number, action: string): Promise<string> {
  const tooLarge = () => {
    body.destroy?.();
    return new MindeeResponseError(`Mindee's answer to ${action} is larger than the ${formatBytes(max)} this server reads; it was not read.`, {
      code: 'response_too_large',
      hint: 'If results this large are expected, raise MINDEE_MCP_MAX_RESPONSE_MB; otherwise check that MINDEE_V2_BASE_URL points at the Mindee v2 API.',
    });
  };
  const declared = Number(Array.isArray(headers['content-length']) ? headers['content-length'][0] : headers['content-length']);
  if (Number.isFinite(declared) && declared > max) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > max) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

const TOO_DEEP = Symbol('too deep');

/** JSON.parse, after a linear scan that refuses nesting deeper than MAX_JSON_DEPTH; undefined when not JSON. */
export function parseJson(text: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > MAX_JSON_DEPTH) return TOO_DEEP;
    } else if (c === 125 || c === 93) depth--;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function apiError(status: number, headers: Headers, text: string, req: ApiRequest, now: number): MindeeApiError {
  const retryAfterSeconds = parseRetryAfter(headers['retry-after'], now);
  const parsed = parseJson(text);
  const body = parsed === undefined || parsed === TOO_DEEP ? null : problemSchema.safeParse(parsed);
  if (!body?.success) {
    return new MindeeApiError({
      status,
      action: req.action,
      detail: text.length > 0 ? `The error body is not JSON (${contentType(headers)}).` : 'The error response has no body.',
      retryAfterSeconds,
    });
  }
  // Anything the API says is quoted with a bound, and without the key.
  const q = (s: string | null) => (s === null ? null : req.redact(clip(s, QUOTED_CHARS)));
  const errors = body.data.errors.slice(0, QUOTED_ITEMS).map((e) => ({ pointer: q(e.pointer), detail: q(e.detail) ?? '' }));
  if (body.data.errors.length > QUOTED_ITEMS) errors.push({ pointer: null, detail: `… and ${body.data.errors.length - QUOTED_ITEMS} more` });
  return new MindeeApiError({
    status,
    action: req.action,
    code: q(body.data.code),
    title: q(body.data.title),
    detail: q(body.data.detail),
    errors,
    retryAfterSeconds,
  });
}

/** An enqueue that failed after the request went out may still have created a job: say so. */
const MAY_HAVE_ENQUEUED =
  'Mindee may or may not have received the document, so a job may exist for it. Sending it again is safe but may process it twice; give it an alias to tell the copies apart.';

/**
 * An enqueue that failed after the request may have reached Mindee — a lost or late answer, or a
 * server error (a proxy's 502/504 can come after the job was made) — may still have created a
 * job: say so. What never connected, and a 429, made none.
 */
function mayHaveEnqueued(error: MindeeError): MindeeError {
  if (isRetryable('POST', error)) return error;
  if (error instanceof MindeeApiError) {
    if (error.status < 500 && error.status !== 408) return error;
    return error.withHint(MAY_HAVE_ENQUEUED, true);
  }
  if (error.code !== 'network' && error.code !== 'timeout' && error.code !== 'bad_response') return error;
  const Kind = error.constructor as new (message: string, options: { cause?: unknown; hint?: string; mayHaveEnqueued?: boolean }) => MindeeError;
  return new Kind(error.message, { cause: error, mayHaveEnqueued: true, hint: MAY_HAVE_ENQUEUED });
}

export function abortError(signal: AbortSignal): MindeeAbortError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error && reason.message ? `: ${reason.message}` : '';
  return new MindeeAbortError(`The operation was cancelled${why}.`, { cause: reason });
}

function contentType(headers: Headers): string {
  const value = headers['content-type'];
  const first = Array.isArray(value) ? value[0] : value;
  return first ? clip(first.split(';')[0]!.trim(), 100) : 'no content type';
}

function systemCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (!code.startsWith('UND_ERR_') || code === 'UND_ERR_CONNECT_TIMEOUT')) return code;
    e = (e as { cause?: unknown }).cause;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isTimeoutError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || (error instanceof Error && error.name === 'TimeoutError');
}
