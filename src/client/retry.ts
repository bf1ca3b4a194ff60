/**
 * The one retry policy of every request to Mindee. A GET is idempotent: it is retried on any
 * transient failure. A POST (an enqueue) is retried only where no job can exist: the connection
 * never opened, or Mindee answered 429 before looking at the document.
 */
import { MindeeApiError, MindeeNetworkError, type MindeeError } from './errors.js';

export interface RetryOptions {
  /** Retries of one request after its first attempt. */
  maxRetries: number;
  /** First backoff, ms; doubles with each retry, with full jitter. */
  baseDelayMs: number;
  /** Longest single backoff, ms (a longer Retry-After is cut to it). */
  maxDelayMs: number;
  /** A GET attempt whose answer takes longer than this is given up and retried, ms. */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({ maxRetries: 4, baseDelayMs: 250, maxDelayMs: 8000, attemptTimeoutMs: 15_000 });

/** Statuses that say "not now" rather than "no". */
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);

/** System errors raised before a connection exists: nothing reached the server. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'UND_ERR_CONNECT_TIMEOUT']);

/** Whether a failed attempt may be made again. */
export function isRetryable(method: 'GET' | 'POST', error: MindeeError): boolean {
  if (method === 'POST') {
    if (error instanceof MindeeApiError) return error.status === 429;
    return error instanceof MindeeNetworkError && error.systemCode !== undefined && NEVER_CONNECTED.has(error.systemCode);
  }
  if (error instanceof MindeeApiError) return TRANSIENT_STATUSES.has(error.status);
  return error.code === 'network' || error.code === 'timeout' || error.code === 'bad_response';
}

/** Whether a failure says nothing about a job's fate, so polling it again is right. */
export function isTransient(error: MindeeError): boolean {
  return isRetryable('GET', error);
}

/**
 * The wait before retry number `retry` (1 for the first): the server's Retry-After when it gave
 * one, else full-jitter exponential backoff; never longer than maxDelayMs.
 */
export function backoffMs(retry: number, options: RetryOptions, retryAfterSeconds: number | null = null, random: () => number = Math.random): number {
  if (retryAfterSeconds !== null) return Math.min(retryAfterSeconds * 1000, options.maxDelayMs);
  return random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
}

export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, Math.round((date - now) / 1000));
}
