/**
 * A MindeeClient is the process's connection (connection.ts) used with one API key — its rate
 * budget, its own kept results — for one caller: the API's routes (enqueue, job, result, model
 * search) with the checks of who may ask what. It speaks the API's words (job, inference,
 * model_id) and knows nothing of MCP.
 */
import type { z } from 'zod';
import { createRedactor, type Redactor } from '../lib/redact.js';
import type { Caller } from '../state/caller.js';
import { StateUnavailableError } from '../state/errors.js';
import type { OwnedKind } from '../state/owners.js';
import type { RateBudget, ResultStore } from '../state/index.js';
import { quote } from '../lib/text.js';
import { Connection, keepInference, keyCaller, keyId, type ConnectionOptions } from './connection.js';
import {
  MissingApiKeyError,
  MindeeInputError,
  MindeeOriginError,
  MindeeResponseError,
  MindeeStateError,
  MindeeUnknownIdError,
} from './errors.js';
import { webhooksOfModel } from './model-webhooks.js';
import { enqueueFormBody, EXTRACTION_OPTIONS, type MultipartBody } from './multipart.js';
import { checkId, enqueuePath, inferenceIdFromResultUrl, isNotFound, isProduct, productFromResultUrl, refusedOptions, resultPath } from './routes.js';
import type { CallOptions, DocumentOrigin, EnqueueParams, TrackedJob, UploadDocument } from './types.js';
import {
  inferenceResponseSchema,
  jobResponseSchema,
  searchModelsResponseSchema,
  type Inference,
  type Job,
  type Product,
  type SearchModelsResponse,
} from './schemas.js';
import { parseJson } from './transport.js';
import { waitForResult, type WaitOptions, type WaitOutcome } from './waiter.js';

export type { CallOptions, EnqueueParams, TrackedJob, UploadDocument } from './types.js';
export { keyCaller, keyId, type ConnectionOptions, type WaitEvent } from './connection.js';
export { checkId, inferenceIdFromResultUrl, productFromResultUrl } from './routes.js';

/** What every client of one process shares, and the maker of its clients. */
export class MindeeConnection extends Connection {
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
    const post = (body: EnqueueParams) => this.#send('POST', this.#url(enqueuePath(product)), 'enqueue the document', 'enqueue', options, () => enqueueFormBody(document, body));
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
    this.connection.jobs.track(this.#partition, job.id, {
      at: this.connection.clock.now(),
      product,
      modelId: params.modelId,
      pages: document.kind === 'file' ? document.pageCount : null,
      pushExpected: hooks?.received === true && (sent.webhookIds ?? []).some((id) => hooks.ids.includes(id.toLowerCase())),
      filename: job.filename,
      alias: job.alias,
      ...(dropped.length ? { dropped } : {}),
    });
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

  /** The configured webhook ids that this model has (see model-webhooks.ts). */
  #defaultWebhooks(modelId: string, ids: string[], options: CallOptions): Promise<string[]> {
    return webhooksOfModel(this, this.connection.jobs, this.#partition, this.connection.clock.now(), modelId, ids, options);
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
    this.connection.jobs.rememberResultUrl(this.#partition, inferenceId, job.result_url);
  }

  /** What this process knows of a job this key enqueued, if it did. */
  trackedJob(jobId: string): TrackedJob | undefined {
    return this.connection.jobs.tracked(this.#partition, jobId);
  }

  /** The product a job this key enqueued was sent to, if it did. */
  productOfJob(jobId: string): Product | null {
    return this.trackedJob(jobId)?.product ?? null;
  }

  /** The product of a result this key has seen the job or the result of, if any. */
  async knownProduct(inferenceId: string): Promise<Product | null> {
    const url = this.connection.jobs.resultUrl(this.#partition, inferenceId);
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
      const remembered = this.connection.jobs.resultUrl(this.#partition, id);
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
      const resultUrl = job.result_url;
      return this.connection.resultSlots.run(() => this.getResult({ resultUrl }, options), options.signal);
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
    if (!this.#apiKey) throw new MissingApiKeyError('No Mindee API key is configured.', { hint: this.connection.missingKeyHint });
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
