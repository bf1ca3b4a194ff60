/**
 * When to check a job next. It learns how long each model takes — from the jobs' own
 * created_at and completed_at, so polling lag does not blur it — and how that time grows with
 * the page count. The waiter (`waiter.ts`) asks it before every poll.
 */
import { BoundedMap } from '../state/bounded-map.js';

export interface PollingOptions {
  /** Delay before the first status check of a job when nothing is known of its model yet. */
  firstPollMs: number;
  /** Shortest gap between two checks of one job. */
  minIntervalMs: number;
  /** Longest gap between two checks of one job. */
  maxIntervalMs: number;
  /** A gap may always be this long, however young the job. */
  earlyIntervalMs: number;
  /** Otherwise a gap is at most this fraction of the time the job has run so far. */
  backoffRatio: number;
  /** With history: the next check is when this share of the jobs still running is expected done. */
  quantile: number;
  /** With history: once jobs like this one may be finishing, no gap is longer than this. */
  denseIntervalMs: number;
}

export const DEFAULT_POLLING: PollingOptions = {
  firstPollMs: 1000,
  minIntervalMs: 150,
  maxIntervalMs: 4000,
  earlyIntervalMs: 1000,
  backoffRatio: 0.25,
  quantile: 0.25,
  denseIntervalMs: 700,
};

export interface PollContext {
  modelId: string | null;
  /** Pages of the document, when known. */
  pages: number | null;
  /** Time since the job was enqueued. */
  elapsedMs: number;
  /** Checks made so far. */
  polls: number;
}

const HISTORY_PER_MODEL = 64;
const MODELS_REMEMBERED = 256;

/**
 * Decides when to check a job next. It learns how long each model takes — from the jobs'
 * own created_at and completed_at, so polling lag does not blur it — and, when the documents'
 * page counts are known, how that time grows with pages (Mindee's processing time does). A
 * job is then checked when it is most likely done, instead of on a fixed clock; with no
 * history it checks early and backs off, as the official SDKs cannot.
 */
export class PollPlanner {
  private readonly history = new BoundedMap<string, Array<{ pages: number | null; ms: number }>>(MODELS_REMEMBERED);

  constructor(readonly options: PollingOptions = DEFAULT_POLLING) {}

  /** Records how long a job of this model (and page count) really took. */
  observe(modelId: string | null, pages: number | null, durationMs: number): void {
    if (!modelId || !Number.isFinite(durationMs) || durationMs < 0) return;
    let samples = this.history.get(modelId);
    if (!samples) {
      samples = [];
      this.history.set(modelId, samples);
    }
    samples.push({ pages, ms: durationMs });
    if (samples.length > HISTORY_PER_MODEL) samples.shift();
  }

  /** Expected durations of a job like this one, sorted: empty when nothing is known. */
  predictions(modelId: string | null, pages: number | null): number[] {
    const samples = modelId ? this.history.get(modelId) : undefined;
    if (!samples || samples.length < 3) return [];
    const withPages = samples.filter((s): s is { pages: number; ms: number } => s.pages !== null && s.pages > 0);
    let out = samples.map((s) => s.ms);
    if (pages !== null && pages > 0 && withPages.length >= 3 && new Set(withPages.map((s) => s.pages)).size >= 2) {
      // Least squares ms = a + b·pages; this job's spread is that of the residuals.
      const n = withPages.length;
      const mp = withPages.reduce((t, s) => t + s.pages, 0) / n;
      const mm = withPages.reduce((t, s) => t + s.ms, 0) / n;
      const sxy = withPages.reduce((t, s) => t + (s.pages - mp) * (s.ms - mm), 0);
      const sxx = withPages.reduce((t, s) => t + (s.pages - mp) ** 2, 0);
      const b = Math.max(0, sxy / sxx);
      const a = mm - b * mp;
      out = withPages.map((s) => Math.max(0, a + b * pages + (s.ms - (a + b * s.pages))));
    }
    return out.sort((x, y) => x - y);
  }

  /** How likely a job like this is done by now (0 when nothing is known): orders polls when GETs are scarce. */
  doneLikelihood(context: PollContext): number {
    const predicted = this.predictions(context.modelId, context.pages);
    if (predicted.length === 0) return 0;
    return predicted.filter((t) => t <= context.elapsedMs).length / predicted.length;
  }

  /** Milliseconds to wait before the next status check. */
  nextDelay(context: PollContext): number {
    const o = this.options;
    const e = context.elapsedMs;
    const cap = Math.min(o.maxIntervalMs, Math.max(o.earlyIntervalMs, o.backoffRatio * e));
    const predicted = this.predictions(context.modelId, context.pages).filter((t) => t > e);
    let gap: number;
    if (predicted.length > 0) {
      // The time by which `quantile` of the jobs like this one still running are done, a little
      // after, so the check finds them done.
      const i = Math.min(predicted.length - 1, Math.max(0, Math.ceil(o.quantile * predicted.length) - 1));
      // Skip ahead freely to the earliest expected end; past it, where jobs are finishing, stay dense.
      gap = Math.min(predicted[i]! - e + 25, Math.max(predicted[0]! - e + 25, o.denseIntervalMs));
    } else if (context.polls === 0) {
      gap = o.firstPollMs - e;
    } else {
      gap = cap;
    }
    return Math.round(Math.max(o.minIntervalMs, Math.min(cap, gap)));
  }
}

/** Parses Mindee's timestamps, which often have no time zone (they are UTC). */
export function parseApiTime(value: string | null): number | null {
  if (!value) return null;
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
  const t = Date.parse(withZone);
  return Number.isNaN(t) ? null : t;
}
