/**
 * Typed errors of the Mindee client. Every message is written to be shown to a person or a
 * model as is: what failed, why, and what to do next. None of them ever carries the API key.
 * Each has a stable `code`; hints here never name a tool or a tool argument — the tools phrase
 * those from the code (`tools/hints.ts`).
 */

/** Stable identifiers of what went wrong, for callers that react to a kind of error. */
export type ErrorCode =
  | 'no_api_key'
  | 'api_error'
  | 'timeout'
  | 'not_sent'
  | 'network'
  | 'bad_response'
  | 'response_too_large'
  | 'foreign_origin'
  | 'aborted'
  | 'job_failed'
  | 'no_result_url'
  | 'invalid_input'
  | 'invalid_id'
  | 'extraction_only_option'
  | 'unknown_fields'
  | 'invalid_page_window'
  | 'file_refused'
  | 'file_not_allowed'
  | 'base64_refused'
  | 'url_refused'
  | 'path_is_url'
  | 'unknown_model'
  | 'state_unavailable';

export interface ProblemDetail {
  pointer: string | null;
  detail: string;
}

/** A problem in one line: `code title — detail — pointer: detail…`; empty when it says nothing. */
export function formatProblem(problem: { code: string | null; title: string | null; detail: string | null; errors: ProblemDetail[] }): string {
  const head = [problem.code, problem.title].filter(Boolean).join(' ');
  const parts = [head, problem.detail].filter((s): s is string => !!s);
  for (const e of problem.errors) parts.push(e.pointer ? `${e.pointer}: ${e.detail}` : e.detail);
  return parts.join(' — ');
}

/** Base class: everything the client throws on purpose is a MindeeError. */
export interface MindeeErrorOptions {
  cause?: unknown;
  hint?: string;
  code?: ErrorCode;
  /** The enqueue may have reached Mindee: a job may exist for the document. */
  mayHaveEnqueued?: boolean;
}

export class MindeeError extends Error {
  override name = 'MindeeError';
  /** What the caller can do about it, in one sentence; tools append it to their message. */
  readonly hint: string | undefined;
  readonly code: ErrorCode;
  readonly mayHaveEnqueued: boolean;
  constructor(message: string, options: MindeeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.code = options.code ?? (this.constructor as { defaultCode?: ErrorCode }).defaultCode ?? 'invalid_input';
    this.mayHaveEnqueued = options.mayHaveEnqueued ?? false;
  }
}

/** The message and its hint, as one text. */
export function describeError(error: MindeeError, hint = error.hint): string {
  return hint ? `${error.message}\n${hint}` : error.message;
}

/** The API answered with an error status (RFC 9457 body when it sent one). */
export class MindeeApiError extends MindeeError {
  override name = 'MindeeApiError';
  readonly status: number;
  /** Mindee's own code of the problem, e.g. "422-001". */
  readonly problemCode: string | null;
  /** What was being done, e.g. "enqueue the document". */
  readonly action: string;
  readonly title: string | null;
  readonly detail: string | null;
  readonly errors: ProblemDetail[];
  readonly retryAfterSeconds: number | null;
  constructor(init: {
    status: number;
    code?: string | null;
    title?: string | null;
    detail?: string | null;
    errors?: ProblemDetail[];
    retryAfterSeconds?: number | null;
    /** What was being done, e.g. "enqueue the document". */
    action: string;
    /** Replaces the hint derived from the status. */
    hint?: string;
    mayHaveEnqueued?: boolean;
  }) {
    const status = init.status;
    const title = init.title ?? null;
    const detail = init.detail ?? null;
    const errors = init.errors ?? [];
    const parts = [`Mindee API refused to ${init.action}: HTTP ${status}${init.code ? ` (${init.code})` : ''}`];
    const text = [title, detail].filter((s): s is string => !!s && s.length > 0);
    if (text.length) parts.push(text.join(' — '));
    for (const e of errors) parts.push(e.pointer ? `${e.pointer}: ${e.detail}` : e.detail);
    super(parts.join('. ').replace(/\.\./g, '.'), { hint: init.hint ?? hintForStatus(status, init.code ?? null), code: 'api_error', mayHaveEnqueued: init.mayHaveEnqueued });
    this.status = status;
    this.problemCode = init.code ?? null;
    this.action = init.action;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }

  /** The same error with another hint (and, for an enqueue, whether a job may exist). */
  withHint(hint: string, mayHaveEnqueued = this.mayHaveEnqueued): MindeeApiError {
    return new MindeeApiError({
      status: this.status,
      code: this.problemCode,
      title: this.title,
      detail: this.detail,
      errors: this.errors,
      retryAfterSeconds: this.retryAfterSeconds,
      action: this.action,
      hint,
      mayHaveEnqueued,
    });
  }
}

function hintForStatus(status: number, code: string | null): string | undefined {
  switch (status) {
    case 400:
      return 'A required parameter is missing; check the arguments and try again.';
    case 401:
      return code === '401-008'
        ? 'No API key reached Mindee: set MINDEE_V2_API_KEY to a v2 key (md_…) in the MCP server configuration.'
        : 'The API key was rejected: check MINDEE_V2_API_KEY is a valid Mindee v2 key (md_…, v1 keys do not work) with no "Bearer" prefix.';
    case 402:
      return 'The account plan does not include this option, or its quota is used up: drop the option or check the plan on the Mindee platform.';
    case 403:
      return 'The API key has no access to this model or resource: check the model id belongs to this organisation.';
    case 404:
      return 'Not found: the id may be wrong, the result may not be ready yet, may have expired (results are kept 1–24 h), or was deleted after being fetched.';
    case 422:
      return 'Mindee could not accept the request as sent: correct the fields named above and try again.';
    case 429:
      return 'Mindee rate limit reached: wait a little, then try again.';
    default:
      return status >= 500 ? 'Mindee had a server-side problem: try again in a moment.' : undefined;
  }
}

/**
 * A job or result id this caller cannot read: none it started has this id. Answered the same
 * whether the id exists for another caller, was never made, or Mindee answered 404 for it — so
 * an id tells nothing of anyone else's work. A 404, for every hint keyed on one.
 */
export class MindeeUnknownIdError extends MindeeApiError {
  override name = 'MindeeUnknownIdError';
  readonly kind: 'job' | 'inference';
  readonly id: string;
  constructor(kind: 'job' | 'inference', id: string, action: string, hint?: string) {
    super({
      status: 404,
      action,
      hint:
        hint ??
        (kind === 'job'
          ? 'Check the id: a job may have expired (results are kept 1–24 h) or been deleted once its result was fetched. Send the document again if it is gone.'
          : 'Check the id: a result may not be ready yet, may have expired (results are kept 1–24 h) or been deleted once fetched.'),
    });
    this.kind = kind;
    this.id = id;
    this.message =
      kind === 'job'
        ? `No job with id ${id} is known to you: the id may be wrong or expired, or the job is not one you started here.`
        : `No result with id ${id} is known to you: the id may be wrong, not ready, expired or deleted, or the result is not of a job you started here.`;
  }

  override withHint(hint: string): MindeeUnknownIdError {
    return new MindeeUnknownIdError(this.kind, this.id, this.action, hint);
  }
}

/** A shared store (who started which job) cannot be reached now: nothing was asked of Mindee. */
export class MindeeStateError extends MindeeError {
  override name = 'MindeeStateError';
  static defaultCode: ErrorCode = 'state_unavailable';
}

/** A request or a wait ran out of time. */
export class MindeeTimeoutError extends MindeeError {
  override name = 'MindeeTimeoutError';
  static defaultCode: ErrorCode = 'timeout';
}

/** Time ran out before the request could be sent (no slot in the rate budget, or no time left): nothing reached Mindee. */
export class MindeeNotSentError extends MindeeTimeoutError {
  override name = 'MindeeNotSentError';
  static override defaultCode: ErrorCode = 'not_sent';
}

/** The connection failed: refused, reset, DNS, TLS… */
export class MindeeNetworkError extends MindeeError {
  override name = 'MindeeNetworkError';
  /** The system's error code, e.g. ECONNREFUSED. */
  readonly systemCode: string | undefined;
  constructor(message: string, options: MindeeErrorOptions & { systemCode?: string } = {}) {
    super(message, { ...options, code: 'network' });
    this.systemCode = options.systemCode;
  }
}

/** The caller (user or model) gave an input that cannot be sent: fix it and call again. */
export class MindeeInputError extends MindeeError {
  override name = 'MindeeInputError';
  static defaultCode: ErrorCode = 'invalid_input';
}

/** The API answered 2xx with a body that does not have the documented shape. */
export class MindeeResponseError extends MindeeError {
  override name = 'MindeeResponseError';
  static defaultCode: ErrorCode = 'bad_response';
}

/** A URL handed out by the API points at another origin: the key is not sent there. */
export class MindeeOriginError extends MindeeError {
  override name = 'MindeeOriginError';
  static defaultCode: ErrorCode = 'foreign_origin';
}

/** The caller's AbortSignal fired (a cancelled tool call). */
export class MindeeAbortError extends MindeeError {
  override name = 'MindeeAbortError';
  static defaultCode: ErrorCode = 'aborted';
}

/** No API key is configured. */
export class MissingApiKeyError extends MindeeError {
  override name = 'MissingApiKeyError';
  static defaultCode: ErrorCode = 'no_api_key';
}

/** A job ended in `Failed`: the document was accepted but could not be processed. */
export class MindeeJobFailedError extends MindeeError {
  override name = 'MindeeJobFailedError';
  readonly jobId: string;
  readonly problem: { status: number | null; code: string | null; title: string | null; detail: string | null; errors: ProblemDetail[] } | null;
  constructor(jobId: string, problem: MindeeJobFailedError['problem']) {
    const reason = problem ? formatProblem(problem) : '';
    super(`Mindee could not process the document (job ${jobId} failed)${reason ? `: ${reason}` : '.'}`, {
      code: 'job_failed',
      hint:
        problem?.status && problem.status < 500
          ? hintForStatus(problem.status, problem.code)
          : 'The inference failed on Mindee\'s side: try again; if it keeps failing, the document may be unreadable or unsuited to this model.',
    });
    this.jobId = jobId;
    this.problem = problem;
  }
}
