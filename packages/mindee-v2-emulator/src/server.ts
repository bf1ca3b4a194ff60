/**
 * The emulator's HTTP side: a node:http server that routes the v2 API, checks the key and the
 * rate limits, applies injected faults, and serves jobs and results from the store.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isHttpUrl, UUID_RE } from './checks.js';
import { parseEnqueueForm } from './enqueue-form.js';
import { FaultQueue } from './faults.js';
import type { RouteKind } from './faults.js';
import { demoModels, searchModels } from './models.js';
import { bodyLimitFor, drain, readForm } from './multipart.js';
import {
  bodyTooLarge,
  internalError,
  invalidApiKey,
  invalidQuery,
  methodNotAllowed,
  missingCredentials,
  notFound,
  rateLimited,
  statusProblem,
} from './problems.js';
import { SlidingWindow } from './rate-limit.js';
import { simulateInference } from './simulate.js';
import { JobStore, mindeeTimestamp, toJobJson } from './store.js';
import type { JobRecord, JobUrls, ProcessingInfo } from './store.js';
import { isProduct } from './types.js';
import type {
  EmulatorModel,
  Fault,
  InferenceBody,
  JobBody,
  JobErrorInit,
  JobJson,
  Problem,
  ProblemItem,
  Product,
  WebhookErrorJson,
} from './types.js';
import { signWebhookBody, webhookError, WebhookSender } from './webhooks.js';

export const EMULATOR_API_KEY = 'md_emulator_local_key';
/** The default HMAC key of webhook signatures. */
export const EMULATOR_WEBHOOK_SECRET = 'md_emulator_webhook_secret';

const MB = 1024 * 1024;
const MAX_RECORDED_REQUESTS = 10_000;

export interface EmulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** The key the Authorization header must carry; default EMULATOR_API_KEY. */
  apiKey?: string;
  /** Origin and path prefix written into polling_url, result_url and Location; default the listening URL. */
  publicBaseUrl?: string;
  /** How long a job stays Processing: default 1500; 0 = Processed at the first GET; Infinity = until completeJob/failJob. */
  processingMs?: number | ((job: ProcessingInfo) => number);
  /** How long finished jobs and results are kept; default 12 h. */
  resultTtlMs?: number;
  /** The account's models; default the demo models (see `loadModelsFile` to read them from JSON). */
  models?: EmulatorModel[];
  /**
   * Where every webhook of the account's models delivers instead of its own URL: point the demo
   * models' webhooks at a local receiver. Any http(s) URL (Mindee itself requires https).
   */
  webhookUrl?: string;
  /** Default Mindee's 200 POST and 1200 GET a minute; false turns them off; `windowMs` (default 60 000) scales time for tests. */
  rateLimits?: { postPerMinute: number; getPerMinute: number; windowMs?: number } | false;
  /** HMAC key of the X-Signature header of webhooks; default EMULATOR_WEBHOOK_SECRET. */
  webhookSecret?: string;
  /** Where a line per request goes; default nowhere. The library never writes to stdout. */
  log?: (line: string) => void;
  /** Largest accepted document, in bytes; default 100 MB as Mindee. */
  maxUploadBytes?: number;
  /** Seed of the generator behind probabilistic faults; default 1. */
  seed?: number;
  /** The clock of TTLs, rate limits, timestamps and lazy job completion; default Date.now. */
  clock?: () => number;
}

export interface RequestRecord {
  method: string;
  path: string;
  /** 0 when no response was sent (reset, hang). */
  status: number;
  authorized: boolean;
  at: number;
}

export interface WebhookEvent {
  jobId: string;
  webhookId: string;
  url: string;
  status: 'Processed' | 'Failed';
  /** The receiver's HTTP status, or null when it could not be reached or did not answer. */
  httpStatus: number | null;
  error: WebhookErrorJson | null;
  /** The exact body posted, and its signature. */
  body: string;
  signature: string;
}

export interface FaultEvent {
  fault: Fault;
  method: string;
  path: string;
}

/** The events of a running emulator, with their arguments. */
export interface EmulatorEvents {
  /** A request was answered (or dropped: status 0). */
  request: [record: RequestRecord];
  'job-created': [job: JobJson];
  'job-finished': [job: JobJson];
  /** A webhook delivery ended, delivered or failed. */
  webhook: [event: WebhookEvent];
  /** An injected fault hit a request (emitted before its effect). */
  fault: [event: FaultEvent];
}

/** The running emulator: an EventEmitter, so tests can await its events instead of sleeping. */
export interface Emulator extends EventEmitter<EmulatorEvents> {
  readonly url: string;
  readonly apiKey: string;
  readonly requests: ReadonlyArray<RequestRecord>;
  readonly models: ReadonlyArray<EmulatorModel>;
  /** Closes the server and every socket (keep-alive and hung ones too) and clears all timers. */
  close(): Promise<void>;
  /** The job's body as GET /v2/jobs/{id} would serve it, or undefined when unknown, expired or deleted. */
  job(id: string): JobBody | undefined;
  /** Finishes a Processing job now, as its model would (a failing model fails it). Throws for an unknown job. */
  completeJob(id: string): void;
  /** Fails a Processing job now, with `error` or a 500-012 inference failure. Throws for an unknown job. */
  failJob(id: string, error?: JobErrorInit): void;
  injectFault(fault: Fault): void;
  clearFaults(): void;
}

type Route =
  | { kind: 'enqueue'; product: Product }
  | { kind: 'job'; id: string }
  | { kind: 'result'; product: Product; id: string }
  | { kind: 'search' }
  | { kind: 'other'; allow?: string };

function matchRoute(method: string, path: string): Route {
  let m: RegExpExecArray | null;
  const only = (wanted: string, route: Route): Route => (method === wanted ? route : { kind: 'other', allow: wanted });
  if (path === '/v2/inferences/enqueue') return only('POST', { kind: 'enqueue', product: 'extraction' });
  if ((m = /^\/v2\/products\/([^/]+)\/enqueue$/.exec(path)) && m[1] && isProduct(m[1])) {
    return only('POST', { kind: 'enqueue', product: m[1] });
  }
  if ((m = /^\/v2\/jobs\/([^/]+)$/.exec(path)) && m[1]) return only('GET', { kind: 'job', id: m[1] });
  if ((m = /^\/v2\/inferences\/([^/]+)$/.exec(path)) && m[1]) {
    return only('GET', { kind: 'result', product: 'extraction', id: m[1] });
  }
  if ((m = /^\/v2\/products\/([^/]+)\/results\/([^/]+)$/.exec(path)) && m[1] && m[2] && isProduct(m[1])) {
    return only('GET', { kind: 'result', product: m[1], id: m[2] });
  }
  if (path === '/v2/search/models') return only('GET', { kind: 'search' });
  return { kind: 'other' };
}

function validateOptions(o: EmulatorOptions): void {
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)) {
    throw new TypeError(`port must be an integer from 0 to 65535, got ${o.port}`);
  }
  if (o.apiKey !== undefined && (typeof o.apiKey !== 'string' || o.apiKey.trim() === '' || /\s/.test(o.apiKey))) {
    throw new TypeError('apiKey must be a non-empty string without spaces');
  }
  if (typeof o.processingMs === 'number' && (Number.isNaN(o.processingMs) || o.processingMs < 0)) {
    throw new TypeError(`processingMs must be 0 or more (or Infinity), got ${o.processingMs}`);
  }
  if (o.resultTtlMs !== undefined && !(o.resultTtlMs > 0)) throw new TypeError(`resultTtlMs must be positive, got ${o.resultTtlMs}`);
  if (o.maxUploadBytes !== undefined && !(o.maxUploadBytes > 0)) throw new TypeError('maxUploadBytes must be positive');
  if (o.rateLimits) {
    const { postPerMinute, getPerMinute } = o.rateLimits;
    if (!(Number.isInteger(postPerMinute) && postPerMinute > 0 && Number.isInteger(getPerMinute) && getPerMinute > 0)) {
      throw new TypeError('rateLimits must give positive integer postPerMinute and getPerMinute');
    }
  }
  if (o.publicBaseUrl !== undefined && !isHttpUrl(o.publicBaseUrl)) {
    throw new TypeError(`publicBaseUrl must be an http(s) URL, got "${o.publicBaseUrl}"`);
  }
  if (o.webhookUrl !== undefined && !isHttpUrl(o.webhookUrl)) throw new TypeError(`webhookUrl must be an http(s) URL, got "${o.webhookUrl}"`);
  const ids = new Set<string>();
  for (const m of o.models ?? []) {
    if (!UUID_RE.test(m.id)) throw new TypeError(`model id must be a UUID, got "${m.id}" (${m.name})`);
    if (!isProduct(m.modelType)) throw new TypeError(`model ${m.id} has an unknown modelType "${String(m.modelType)}"`);
    if (ids.has(m.id.toLowerCase())) throw new TypeError(`model id ${m.id} is used twice`);
    ids.add(m.id.toLowerCase());
    for (const w of m.webhooks ?? []) {
      if (!UUID_RE.test(w.id)) throw new TypeError(`webhook id must be a UUID, got "${w.id}" (model ${m.id})`);
      if (!isHttpUrl(w.url)) throw new TypeError(`webhook ${w.id} of model ${m.id} needs an http(s) URL, got "${w.url}"`);
    }
  }
}

/** The values of `?redirect=` that turn the 302 off, as the API's boolean query parameters read them. */
const FALSE_QUERY_VALUES = new Set(['false', '0', 'no', 'off', 'f', 'n']);

const MALFORMED: Record<RouteKind, (id: string) => string> = {
  enqueue: (id) => `{"job":{"id":"${id}","model_id":"`,
  job: (id) => `{"job":{"id":"${id}","status":"Proc`,
  result: (id) => `{"inference":{"id":"${id}","result":{"fields":{"`,
  search: (id) => `{"models":[{"id":"${id}","name":"`,
  other: () => '{"status":5',
};

function htmlPage(status: number): string {
  const text = `${status} ${statusProblem(status).title}`;
  return `<!DOCTYPE html>\n<html><head><title>${text}</title></head><body><center><h1>${text}</h1></center><hr><center>nginx</center></body></html>\n`;
}

class EmulatorServer extends EventEmitter<EmulatorEvents> implements Emulator {
  readonly apiKey: string;
  readonly models: ReadonlyArray<EmulatorModel>;
  url = '';
  private publicBase = '';
  private readonly recorded: RequestRecord[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly store: JobStore;
  private readonly faults: FaultQueue;
  private readonly webhooks: WebhookSender;
  private readonly limits: { post: SlidingWindow; get: SlidingWindow } | null;
  private readonly modelsById: Map<string, EmulatorModel>;
  private readonly now: () => number;
  private readonly maxUploadBytes: number;
  private readonly bodyLimit: number;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: EmulatorOptions) {
    super();
    this.apiKey = options.apiKey ?? EMULATOR_API_KEY;
    this.now = options.clock ?? Date.now;
    this.maxUploadBytes = options.maxUploadBytes ?? 100 * MB;
    this.bodyLimit = bodyLimitFor(this.maxUploadBytes);
    const webhookUrl = options.webhookUrl;
    this.models = (options.models ?? demoModels()).map((m) => ({
      ...m,
      id: m.id.toLowerCase(),
      webhooks: webhookUrl === undefined ? m.webhooks : m.webhooks?.map((w) => ({ ...w, url: webhookUrl })),
    }));
    this.modelsById = new Map(this.models.map((m) => [m.id, m]));
    const limits = options.rateLimits === undefined ? { postPerMinute: 200, getPerMinute: 1200 } : options.rateLimits;
    this.limits = limits
      ? { post: new SlidingWindow(limits.postPerMinute, limits.windowMs), get: new SlidingWindow(limits.getPerMinute, limits.windowMs) }
      : null;
    this.faults = new FaultQueue(options.seed ?? 1);
    this.webhooks = new WebhookSender(options.webhookSecret ?? EMULATOR_WEBHOOK_SECRET);
    this.store = new JobStore({
      now: this.now,
      resultTtlMs: options.resultTtlMs ?? 12 * 60 * 60 * 1000,
      processingMs: options.processingMs ?? 1500,
      onFinish: (job) => this.onFinish(job),
    });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.options.log?.(`emulator error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        if (!res.headersSent && !res.destroyed) this.send(res, 500, internalError());
        else res.destroy();
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // A client that vanishes mid-request must not bring the emulator down.
    this.server.on('clientError', (_err, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  get requests(): ReadonlyArray<RequestRecord> {
    return this.recorded;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('The emulator is not listening on TCP');
    const shownHost = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
    this.url = `http://${shownHost}:${address.port}`;
    this.publicBase = (this.options.publicBaseUrl ?? this.url).replace(/\/+$/, '');
  }

  job(id: string): JobBody | undefined {
    const job = this.store.job(id);
    return job ? { job: toJobJson(job, { base: this.publicBase }) } : undefined;
  }

  completeJob(id: string): void {
    this.store.complete(id);
  }

  failJob(id: string, error?: JobErrorInit): void {
    this.store.fail(id, error);
  }

  injectFault(fault: Fault): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.store.close();
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
      await this.webhooks.close();
      await closed;
    })();
    return this.closing;
  }

  private record(entry: RequestRecord): void {
    this.recorded.push(entry);
    if (this.recorded.length > MAX_RECORDED_REQUESTS) this.recorded.shift();
    this.options.log?.(`${entry.method} ${entry.path} -> ${entry.status || 'no response'}${entry.authorized ? '' : ' (unauthorized)'}`);
    this.emit('request', entry);
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  }

  /**
   * Answers after the rest of the request body has been read, so that a client still uploading
   * sees the answer rather than a reset; past the body limit it stops reading and closes the
   * connection after the answer instead.
   */
  private async reply(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const close = await this.discardBody(req);
    if (!res.destroyed) this.send(res, status, body, { ...headers, ...close });
  }

  /** Reads what is left of the request body, up to the body limit; the headers the answer then needs. */
  private async discardBody(req: IncomingMessage): Promise<Record<string, string>> {
    return (await drain(req, this.bodyLimit)) ? {} : { connection: 'close' };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = this.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    let authorized = false;
    res.on('close', () => this.record({ method, path: url.pathname, status: res.headersSent ? res.statusCode : 0, authorized, at }));
    res.setHeader('X-Mindee-Emulator', '1');

    // Refused from its headers alone: a body declared over the limit is never read.
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.bodyLimit) {
      return this.send(res, 413, bodyTooLarge(declared, this.bodyLimit, this.maxUploadBytes), { connection: 'close' });
    }

    const route = matchRoute(method, path);
    const fault = this.faults.take(route.kind);
    if (fault) {
      this.emit('fault', { fault, method, path: url.pathname });
      return this.applyFault(fault, route.kind, req, res);
    }

    if (path === '/v2' || path.startsWith('/v2/')) {
      const problem = this.checkKey(req.headers.authorization);
      if (problem) return this.reply(req, res, 401, problem);
      authorized = true;
      if (this.limits) {
        const window = method === 'POST' ? this.limits.post : this.limits.get;
        const wait = window.hit(this.now());
        if (wait > 0) {
          return this.reply(req, res, 429, rateLimited(method === 'POST' ? 'POST' : 'GET', window.limit, wait), {
            'retry-after': String(wait),
          });
        }
      }
    }

    switch (route.kind) {
      case 'enqueue':
        return this.enqueue(req, res, route.product);
      case 'job':
        return this.getJob(res, route.id, url.searchParams.get('redirect'));
      case 'result':
        return this.getResult(res, route.product, route.id);
      case 'search':
        return this.search(res, url.searchParams);
      case 'other':
        if (route.allow) return this.reply(req, res, 405, methodNotAllowed(method, route.allow), { allow: route.allow });
        return this.reply(req, res, 404, notFound(`No route ${method} ${url.pathname}.`));
    }
  }

  private checkKey(header: string | undefined): Problem | null {
    const value = header?.trim() ?? '';
    if (!value) return missingCredentials();
    return value === this.apiKey ? null : invalidApiKey();
  }

  private async applyFault(fault: Fault, kind: RouteKind, req: IncomingMessage, res: ServerResponse): Promise<void> {
    switch (fault.kind) {
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'hang':
        // Read the body so the client is not blocked uploading, then never answer.
        req.resume();
        return;
      case 'status': {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        return this.reply(req, res, fault.status, statusProblem(fault.status, fault), headers);
      }
      case 'rate-limit': {
        const wait = fault.retryAfterSeconds ?? 1;
        return this.reply(req, res, 429, rateLimited('injected', 0, wait), { 'retry-after': String(wait) });
      }
      case 'malformed-json': {
        const close = await this.discardBody(req);
        const body = MALFORMED[kind](randomUUID());
        res.writeHead(kind === 'enqueue' ? 202 : 200, { 'content-type': 'application/json', 'content-length': String(body.length), ...close });
        res.end(body);
        return;
      }
      case 'html': {
        const close = await this.discardBody(req);
        const status = fault.status ?? 502;
        const body = htmlPage(status);
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...close });
        res.end(body);
        return;
      }
      case 'foreign-result-url':
        // Applied by the job route only; take() never returns it here.
        return;
    }
  }

  private async enqueue(req: IncomingMessage, res: ServerResponse, product: Product): Promise<void> {
    const form = await readForm(req, this.maxUploadBytes);
    if (!form.ok) return this.reply(req, res, form.problem.status, form.problem);
    const outcome = await parseEnqueueForm(form.form, {
      product,
      findModel: (id) => this.modelsById.get(id.toLowerCase()),
      maxFileBytes: this.maxUploadBytes,
    });
    if (!outcome.ok) return this.reply(req, res, outcome.problem.status, outcome.problem);
    if (this.closing) {
      res.destroy();
      return;
    }
    const job = this.store.create(outcome.request, product);
    const body: JobBody = { job: toJobJson(job, { base: this.publicBase }) };
    this.send(res, 202, body);
    this.emit('job-created', body.job);
  }

  private getJob(res: ServerResponse, id: string, redirect: string | null): void {
    const job = this.store.job(id);
    if (!job) return this.send(res, 404, notFound(`No job ${id}: it does not exist, has expired or was deleted.`));
    const urls: JobUrls = { base: this.publicBase };
    if (job.status === 'Processed') {
      const foreign = this.faults.take('job', true);
      if (foreign?.kind === 'foreign-result-url') {
        urls.resultBase = foreign.origin.replace(/\/+$/, '');
        this.emit('fault', { fault: foreign, method: 'GET', path: `/v2/jobs/${id}` });
      }
    }
    const body: JobBody = { job: toJobJson(job, urls) };
    const follow = redirect === null || !FALSE_QUERY_VALUES.has(redirect.trim().toLowerCase());
    if (body.job.result_url && follow) {
      return this.send(res, 302, body, { location: body.job.result_url });
    }
    this.send(res, 200, body);
  }

  private getResult(res: ServerResponse, product: Product, id: string): void {
    const job = this.store.jobByInference(id);
    if (!job || job.product !== product) {
      return this.send(res, 404, notFound(`No ${product} inference ${id}: it does not exist, has expired or was deleted.`));
    }
    if (job.status === 'Processing') return this.send(res, 404, notFound(`Inference ${id} is not ready yet; poll its job.`));
    if (job.status === 'Failed') return this.send(res, 404, notFound(`Inference ${id} failed; its job carries the error.`));
    const body = this.inferenceBody(job);
    if (job.model.deleteResultsOnFetch) this.store.remove(job);
    this.send(res, 200, body);
  }

  private search(res: ServerResponse, q: URLSearchParams): void {
    const errors: ProblemItem[] = [];
    const positive = (name: string, fallback: number, max: number): number => {
      const raw = q.get(name);
      if (raw === null || raw === '') return fallback;
      const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(n >= 1 && n <= max)) errors.push({ pointer: `#/${name}`, detail: `${name} must be an integer from 1 to ${max}` });
      return n;
    };
    const page = positive('page', 1, 1_000_000);
    const perPage = positive('per_page', 50, 100);
    const type = q.get('model_type') || undefined;
    if (type !== undefined && !isProduct(type)) {
      errors.push({ pointer: '#/model_type', detail: 'model_type must be one of extraction, classification, crop, ocr, split' });
    }
    if (errors.length) return this.send(res, 422, invalidQuery(errors));
    this.send(res, 200, searchModels(this.models, { name: q.get('name') ?? undefined, modelType: type as Product | undefined, page, perPage }));
  }

  private inferenceBody(job: JobRecord): InferenceBody {
    return simulateInference({
      inferenceId: job.inferenceId,
      jobId: job.id,
      model: job.model,
      file: { name: job.filename, alias: job.alias, page_count: job.digest.pageCount, mime_type: job.digest.mimeType },
      digest: job.digest,
      options: job.options,
      findModel: (id) => this.modelsById.get(id.toLowerCase()),
    });
  }

  private onFinish(job: JobRecord): void {
    this.emit('job-finished', toJobJson(job, { base: this.publicBase }));
    if (job.webhookTargets.length === 0 || this.closing) return;
    let body: string;
    try {
      body = JSON.stringify(job.status === 'Processed' ? this.inferenceBody(job) : this.failurePayload(job));
    } catch (err) {
      const detail = `The emulator could not build the webhook payload: ${err instanceof Error ? err.message : String(err)}`;
      this.options.log?.(detail);
      for (const entry of job.webhooks) {
        entry.status = 'Failed';
        entry.error = webhookError(500, detail, 'payload');
      }
      return;
    }
    job.webhookTargets.forEach((endpoint, index) => {
      void this.webhooks.deliver(endpoint.url, body).then((outcome) => {
        const entry = job.webhooks[index];
        if (entry) {
          entry.status = outcome.status;
          entry.error = outcome.error;
        }
        this.options.log?.(`webhook ${endpoint.url} -> ${outcome.status}${outcome.httpStatus ? ` (HTTP ${outcome.httpStatus})` : ''}`);
        this.emit('webhook', {
          jobId: job.id,
          webhookId: endpoint.id,
          url: endpoint.url,
          status: outcome.status,
          httpStatus: outcome.httpStatus,
          error: outcome.error,
          body,
          signature: this.webhookSignature(body),
        });
      });
    });
  }

  /** What Mindee posts to webhooks when a job fails. */
  private failurePayload(job: JobRecord) {
    return {
      inference_id: job.inferenceId,
      model_id: job.model.id,
      file_name: job.filename,
      file_alias: job.alias,
      error: job.error,
      created_at: mindeeTimestamp(job.createdAt),
    };
  }

  private webhookSignature(body: string): string {
    return signWebhookBody(this.options.webhookSecret ?? EMULATOR_WEBHOOK_SECRET, body);
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  validateOptions(options);
  const emulator = new EmulatorServer(options);
  try {
    await emulator.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  } catch (err) {
    await emulator.close();
    throw err;
  }
  return emulator;
}
