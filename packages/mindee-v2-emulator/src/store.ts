/**
 * The jobs: creation, the Processing → Processed | Failed lifecycle (timers, or manual through
 * completeJob/failJob), expiry after the result TTL, deletion once fetched. A record holds the
 * document's digest, never the document.
 */
import { randomUUID } from 'node:crypto';
import type { DocumentDigest } from './document.js';
import type { EnqueueRequest } from './enqueue-form.js';
import { fromJobError, inferenceFailed } from './problems.js';
import type { AppliedOptions } from './simulate-extraction.js';
import type { EmulatorModel, JobErrorInit, JobJson, JobStatus, JobWebhookJson, Problem, Product, WebhookEndpoint } from './types.js';

export interface JobRecord {
  id: string;
  inferenceId: string;
  model: EmulatorModel;
  product: Product;
  filename: string | null;
  alias: string | null;
  createdAt: number;
  readyAt: number;
  completedAt: number | null;
  expiresAt: number | null;
  status: JobStatus;
  error: Problem | null;
  /** The webhooks to deliver to, and their state as the job shows it (same order). */
  webhookTargets: WebhookEndpoint[];
  webhooks: JobWebhookJson[];
  options: AppliedOptions;
  digest: DocumentDigest;
  timer: NodeJS.Timeout | null;
}

export interface ProcessingInfo {
  modelId: string;
  product: Product;
  pageCount: number;
  filename: string | null;
}

export interface StoreOptions {
  now: () => number;
  resultTtlMs: number;
  processingMs: number | ((job: ProcessingInfo) => number);
  onFinish: (job: JobRecord) => void;
}

/** setTimeout fires at once past this delay, so longer ones are left to the lazy check. */
const MAX_TIMER_MS = 2_147_483_647;

/** Mindee's timestamps: ISO 8601 with microseconds and no time zone (UTC). */
export function mindeeTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, -1)}000`;
}

export class JobStore {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly byInference = new Map<string, string>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: StoreOptions) {
    const every = Math.min(60_000, Math.max(1_000, options.resultTtlMs));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  get size(): number {
    return this.jobs.size;
  }

  create(request: EnqueueRequest, product: Product): JobRecord {
    const now = this.options.now();
    const info: ProcessingInfo = {
      modelId: request.model.id,
      product,
      pageCount: request.digest.pageCount,
      filename: request.filename,
    };
    const p = this.options.processingMs;
    const delay = Math.max(0, typeof p === 'function' ? p(info) : p);
    const job: JobRecord = {
      id: randomUUID(),
      inferenceId: randomUUID(),
      model: request.model,
      product,
      filename: request.filename,
      alias: request.alias,
      createdAt: now,
      readyAt: now + (Number.isNaN(delay) ? 0 : delay),
      completedAt: null,
      expiresAt: null,
      status: 'Processing',
      error: null,
      webhookTargets: request.webhooks,
      webhooks: request.webhooks.map((w) => ({ id: w.id, created_at: mindeeTimestamp(now), status: 'Processing', error: null })),
      options: request.options,
      digest: request.digest,
      timer: null,
    };
    this.jobs.set(job.id, job);
    this.byInference.set(job.inferenceId, job.id);
    if (Number.isFinite(delay) && delay <= MAX_TIMER_MS) {
      job.timer = setTimeout(() => {
        job.timer = null;
        if (this.jobs.get(job.id) === job) this.finish(job);
      }, delay);
      job.timer.unref();
    }
    return job;
  }

  /** A live job (not expired, not deleted), brought up to date with the clock. */
  job(id: string): JobRecord | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (this.expired(job)) {
      this.remove(job);
      return undefined;
    }
    if (job.status === 'Processing' && this.options.now() >= job.readyAt) this.finish(job);
    return job;
  }

  jobByInference(inferenceId: string): JobRecord | undefined {
    const id = this.byInference.get(inferenceId);
    return id === undefined ? undefined : this.job(id);
  }

  /** Finishes a job now, as its model would (a model with `failWith` fails it). */
  complete(id: string): void {
    const job = this.require(id);
    if (job.status === 'Processing') this.finish(job);
  }

  /** Fails a job now, with `error` or a 500-012 inference failure. */
  fail(id: string, error?: JobErrorInit): void {
    const job = this.require(id);
    if (job.status !== 'Processing') return;
    this.finish(job, error ?? inferenceFailed());
  }

  remove(job: JobRecord): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = null;
    this.jobs.delete(job.id);
    this.byInference.delete(job.inferenceId);
  }

  sweep(): void {
    for (const job of this.jobs.values()) if (this.expired(job)) this.remove(job);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const job of this.jobs.values()) {
      if (job.timer) clearTimeout(job.timer);
      job.timer = null;
    }
  }

  private require(id: string): JobRecord {
    const job = this.job(id);
    if (!job) throw new Error(`No live job with id ${id}`);
    return job;
  }

  private expired(job: JobRecord): boolean {
    return job.expiresAt !== null && this.options.now() >= job.expiresAt;
  }

  private finish(job: JobRecord, error?: JobErrorInit): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = null;
    const failure = error ?? job.model.failWith;
    const now = this.options.now();
    job.completedAt = now;
    job.expiresAt = now + this.options.resultTtlMs;
    if (failure) {
      job.status = 'Failed';
      job.error = fromJobError(failure);
    } else {
      job.status = 'Processed';
    }
    this.options.onFinish(job);
  }
}

export interface JobUrls {
  /** Origin plus path prefix of polling_url and result_url. */
  base: string;
  /** Where result_url points instead (fault injection). */
  resultBase?: string;
}

function resultPath(job: Pick<JobRecord, 'product' | 'inferenceId'>): string {
  return job.product === 'extraction'
    ? `/v2/inferences/${job.inferenceId}`
    : `/v2/products/${job.product}/results/${job.inferenceId}`;
}

export function toJobJson(job: JobRecord, urls: JobUrls): JobJson {
  return {
    id: job.id,
    model_id: job.model.id,
    filename: job.filename,
    alias: job.alias,
    created_at: mindeeTimestamp(job.createdAt),
    completed_at: job.completedAt === null ? null : mindeeTimestamp(job.completedAt),
    status: job.status,
    polling_url: `${urls.base}/v2/jobs/${job.id}`,
    result_url: job.status === 'Processed' ? `${urls.resultBase ?? urls.base}${resultPath(job)}` : null,
    webhooks: job.webhooks.map((w) => ({ ...w })),
    error: job.error,
  };
}
