/**
 * Every error body the emulator sends. Codes Mindee is known to use (401-001, 401-008, 422-001,
 * 500-012) carry Mindee's own wording; the others follow the same NNN-NNN pattern.
 */
import type { JobErrorInit, Problem, ProblemItem } from './types.js';

function problem(status: number, code: string, title: string, detail: string, errors: ProblemItem[] = []): Problem {
  return { status, title, detail, code, errors };
}

export function fromJobError(init: JobErrorInit): Problem {
  return problem(init.status, init.code, init.title, init.detail, init.errors ?? []);
}

export const missingCredentials = (): Problem =>
  problem(401, '401-008', 'Missing credentials', 'Credentials are required.');

export const invalidApiKey = (): Problem =>
  problem(401, '401-001', 'Invalid API key', 'The provided API key is invalid.');

/** Form fields that failed validation; `errors` names each one by pointer. */
export const invalidFields = (errors: ProblemItem[]): Problem =>
  problem(422, '422-001', 'Invalid fields in form', 'One or more fields failed validation.', errors);

/** The uploaded document itself cannot be processed. */
export const invalidFile = (pointer: string, detail: string): Problem =>
  problem(422, '422-009', 'Invalid file', detail, [{ pointer, detail }]);

/** An extraction option the account's plan does not include. */
export const optionNotInPlan = (option: string): Problem =>
  problem(402, '402-001', 'Option not available', `The ${option} option is not included in your plan.`, [
    { pointer: `#/${option}`, detail: `${option} is not available on this plan` },
  ]);

export const missingInput = (): Problem =>
  problem(400, '400-001', 'Missing input', 'Send exactly one of the form fields file, url or file_base64.', [
    { pointer: '#/file', detail: 'one of file, url or file_base64 is required' },
  ]);

export const malformedBody = (detail: string): Problem => problem(400, '400-002', 'Malformed request body', detail);

export const fileTooLarge = (limitBytes: number): Problem =>
  problem(413, '413-001', 'File too large', `The document is larger than the ${formatBytes(limitBytes)} limit.`, [
    { pointer: '#/file', detail: `maximum size is ${formatBytes(limitBytes)}` },
  ]);

/** A request whose Content-Length alone is over the limit: refused before any of it is read. */
export const bodyTooLarge = (declaredBytes: number, limitBytes: number, maxFileBytes: number): Problem =>
  problem(
    413,
    '413-001',
    'File too large',
    `The request declares a body of ${formatBytes(declaredBytes)} (Content-Length), over the ${formatBytes(limitBytes)} a request may carry ` +
      `(documents are limited to ${formatBytes(maxFileBytes)}); send a smaller document.`,
    [{ pointer: '#/file', detail: `maximum size is ${formatBytes(maxFileBytes)}` }],
  );

export const modelNotFound = (modelId: string): Problem =>
  problem(404, '404-002', 'Model not found', `No model with id ${modelId} exists in this organisation.`, [
    { pointer: '#/model_id', detail: `unknown model ${modelId}` },
  ]);

export const notFound = (detail = 'The requested resource does not exist.'): Problem =>
  problem(404, '404-001', 'Not found', detail);

export const methodNotAllowed = (method: string, allowed: string): Problem =>
  problem(405, '405-001', 'Method not allowed', `${method} is not allowed here; use ${allowed}.`);

export const rateLimited = (kind: string, limit: number, retryAfterSeconds: number): Problem =>
  problem(
    429,
    '429-001',
    'Too many requests',
    `Rate limit of ${limit} ${kind} requests per minute reached; retry in ${retryAfterSeconds} s.`,
  );

export const invalidQuery = (errors: ProblemItem[]): Problem =>
  problem(422, '422-001', 'Invalid query parameters', 'One or more query parameters failed validation.', errors);

export const internalError = (): Problem =>
  problem(500, '500-001', 'Internal server error', 'The emulator hit an unexpected error.');

export const inferenceFailed = (): JobErrorInit => ({
  status: 500,
  code: '500-012',
  title: 'Inference failed',
  detail: 'The document could not be processed (simulated failure).',
});

export const documentRejected = (): JobErrorInit => ({
  status: 422,
  code: '422-001',
  title: 'Invalid fields in form',
  detail: 'One or more fields failed validation.',
  errors: [{ pointer: '#/file', detail: 'the document could not be read (simulated failure)' }],
});

/** Default bodies for fault-injected statuses. */
export function statusProblem(status: number, overrides?: { code?: string; title?: string; detail?: string }): Problem {
  const titles: Record<number, string> = {
    400: 'Bad request',
    401: 'Unauthorized',
    402: 'Payment required',
    403: 'Forbidden',
    404: 'Not found',
    408: 'Request timeout',
    409: 'Conflict',
    422: 'Unprocessable content',
    429: 'Too many requests',
    500: 'Internal server error',
    502: 'Bad gateway',
    503: 'Service unavailable',
    504: 'Gateway timeout',
  };
  const title = overrides?.title ?? titles[status] ?? `HTTP ${status}`;
  return problem(
    status,
    overrides?.code ?? `${status}-000`,
    title,
    overrides?.detail ?? `${title} (fault injected by the emulator).`,
  );
}

const UNITS: [number, string][] = [
  [1024 ** 4, 'TB'],
  [1024 ** 3, 'GB'],
  [1024 ** 2, 'MB'],
  [1024, 'KB'],
];

/** "100 MB", "135.3 MB", "512 bytes": whole units without decimals, others to one decimal. */
function formatBytes(n: number): string {
  for (const [size, unit] of UNITS) {
    if (n >= size) return `${Number.isInteger(n / size) ? n / size : (n / size).toFixed(1)} ${unit}`;
  }
  return `${n} bytes`;
}
