/**
 * When to check a job next. It learns how long each model takes — from the jobs' own
 * created_at and completed_at, so polling lag does not blur it — and how that time grows with
 * the page count. What it learned lives in a TimingStore (kept across restarts when the store
 * persists). The waiter (`waiter.ts`) asks it before every poll.
 */
import { BoundedMap } from '../lib/bounded-map.js';
import type { BudgetUsage } from '../state/rate-budget.js';
import { MemoryTimingStore, type TimingSample, type TimingStore } from '../state/timings.js';

export interface PollingOptions {
  /** Delay before the first status check of a job when nothing is known of its model yet. */
  firstPollMs: number;
  /** Shortest gap between two checks of one job. */
  minIntervalMs: number;
  /** Longest gap between two checks of one job. */
  maxIntervalMs: number;
  /** With history: a gap may always be this long, however young the job. */
  earlyIntervalMs: number;
  /** Otherwise a gap is at most this fraction of the time the job has run so far. */
  backoffRatio: number;
  /** With history: the next check is when this share of the jobs still running is expected done. */
  quantile: number;
  /** With history: once jobs like this one may be finishing, no gap is longer than this. */
  denseIntervalMs: number;
  /** With history: once the job is older than the quickest job like it, no gap is longer than this while GETs have room. */
  finishingIntervalMs: number;
  /** With nothing that says when a job ends: the gap between checks while GETs have room. */
  openIntervalMs: number;
  /**
   * The official SDKs' schedule (first check at 2 s, then every 1.5 s): with no history of the
   * model, checks are never sparser than this until GETs run short.
   */
  sdkFirstPollMs: number;
  sdkIntervalMs: number;
}

export const DEFAULT_POLLING: PollingOptions = {
  firstPollMs: 1000,
  minIntervalMs: 150,
  maxIntervalMs: 4000,
  earlyIntervalMs: 1000,
  backoffRatio: 0.25,
  quantile: 0.25,
  denseIntervalMs: 700,
  finishingIntervalMs: 1000,
  openIntervalMs: 750,
  sdkFirstPollMs: 2000,
  sdkIntervalMs: 1500,
};

export interface PollContext {
  modelId: string | null;
  /** Pages of the document, when known. */
  pages: number | null;
  /** The product the job was sent to, when known: other models of it hint at this one. */
  product?: string | null;
  /** Time since the job was enqueued. */
  elapsedMs: number;
  /** Checks made so far. */
  polls: number;
  /** How full the GET budget is: dense checks only while it has room. */
  gets?: BudgetUsage;
}

/** What is expected of a job: durations of jobs like it (sorted), and whether they are its model's own. */
export interface Forecast {
  durations: number[];
  /** From at least MIN_OWN_SAMPLES jobs of the same model, not from its neighbours. */
  trusted: boolean;
}

/** Jobs of a model before its own history is trusted over its product's. */
const MIN_OWN_SAMPLES = 3;
/** Samples of a product's other models used as a hint for a new one. */
const PRODUCT_SAMPLES = 256;
/** Below this many samples, a forecast is widened… */
const FEW_SAMPLES = 16;
/** …by this relative spread divided by √samples, either side of its middle. */
const SPREAD_OF_FEW = 0.3;
/** Up to this share of the GET window in use, a job with no forecast is checked densely… */
const ROOMY = 0.5;
/** …from there to this share, gradually less, down to the SDKs' pace; beyond, it backs off. */
const STRAINED = 0.8;

/** How full a GET budget is, 0..1: callers already waiting for a slot mean it is full. */
export function budgetLoad(usage: BudgetUsage | undefined): number {
  if (!usage) return 0;
  return usage.queued > 0 ? 1 : Math.min(1, usage.inWindow / usage.perMinute);
}

/**
 * Expected durations of a job with `pages` pages, sorted, from samples of jobs like it. When
 * page counts are known, a least-squares line ms = a + b·pages places the job, and the spread
 * of the samples around that line is its spread.
 */
function predictDurations(samples: readonly TimingSample[], pages: number | null): number[] {
  const withPages = samples.filter((s): s is TimingSample & { pages: number } => s.pages !== null && s.pages > 0);
  let out = samples.map((s) => s.ms);
  if (pages !== null && pages > 0 && withPages.length >= 3 && new Set(withPages.map((s) => s.pages)).size >= 2) {
    const n = withPages.length;
    const mp = withPages.reduce((t, s) => t + s.pages, 0) / n;
    const mm = withPages.reduce((t, s) => t + s.ms, 0) / n;
    const sxy = withPages.reduce((t, s) => t + (s.pages - mp) * (s.ms - mm), 0);
    const sxx = withPages.reduce((t, s) => t + (s.pages - mp) ** 2, 0);
    const b = Math.max(0, sxy / sxx);
    const a = mm - b * mp;
    out = withPages.map((s) => Math.max(0, a + b * pages + (s.ms - (a + b * s.pages))));
  }
  out.sort((x, y) => x - y);
  // A few samples say little of the spread (three points lie close to any line through them):
  // until they are many, jobs like this one may end this much earlier or later.
  if (out.length > 0 && out.length < FEW_SAMPLES) {
    const middle = out[Math.floor(out.length / 2)]!;
    const spread = SPREAD_OF_FEW / Math.sqrt(out.length);
    out.unshift(Math.min(out[0]!, middle * (1 - spread)));
    out.push(Math.max(out.at(-1)!, middle * (1 + spread)));
  }
  return out;
}

/**
 * Decides when to check a job next. A job whose model has history is checked when it is most
 * likely done, instead of on a fixed clock. A job with no history — a new model, or a job that
 * has outlived every job like it — is checked at least as often as the official SDKs would
 * (densely while the GET budget has room, backing off once GETs run short); what other models
 * of its product took tells when dense checks start to pay.
 */
export class PollPlanner {
  // A handful of products exist; a bound all the same.
  readonly #pools = new BoundedMap<string, { version: number; samples: Array<{ modelId: string; sample: TimingSample }> }>(16);

  constructor(
    readonly options: PollingOptions = DEFAULT_POLLING,
    readonly timings: TimingStore = new MemoryTimingStore(),
  ) {}

  /** Settles once what earlier processes learned has been loaded. */
  get ready(): Promise<void> {
    return this.timings.ready;
  }

  /** Records how long a job of this model (and page count) really took. */
  observe(modelId: string | null, pages: number | null, durationMs: number, product: string | null = null, completedAt = Date.now()): void {
    if (!modelId || !Number.isFinite(durationMs) || durationMs < 0) return;
    this.timings.record(modelId, product, { pages: pages !== null && pages > 0 ? pages : null, ms: durationMs, at: completedAt });
  }

  /** Expected durations of a job of this model, sorted, from the model's own history: empty when too little is known. */
  predictions(modelId: string | null, pages: number | null): number[] {
    const own = modelId ? this.timings.get(modelId) : undefined;
    return own && own.samples.length >= MIN_OWN_SAMPLES ? predictDurations(own.samples, pages) : [];
  }

  /** What is expected of a job: its model's history, else what its product's other models (and its first jobs) took. */
  forecast(context: Pick<PollContext, 'modelId' | 'pages' | 'product'>): Forecast {
    const own = context.modelId ? this.timings.get(context.modelId) : undefined;
    if (own && own.samples.length >= MIN_OWN_SAMPLES) return { durations: predictDurations(own.samples, context.pages), trusted: true };
    const product = context.product ?? own?.product ?? null;
    const neighbours = product ? this.#productSamples(product).filter((s) => s.modelId !== context.modelId).map((s) => s.sample) : [];
    return { durations: predictDurations([...(own?.samples ?? []), ...neighbours], context.pages), trusted: false };
  }

  /** How likely a job like this is done by now (0 when nothing is known): orders polls when GETs are scarce. */
  doneLikelihood(context: PollContext): number {
    const { durations } = this.forecast(context);
    if (durations.length === 0) return 0;
    return durations.filter((t) => t <= context.elapsedMs).length / durations.length;
  }

  /** Milliseconds to wait before the next status check. */
  nextDelay(context: PollContext): number {
    const o = this.options;
    const e = context.elapsedMs;
    const { durations, trusted } = this.forecast(context);
    const left = durations.filter((t) => t > e);
    const open = this.#openGap(context);
    let gap: number;
    if (trusted && left.length > 0) {
      // The time by which `quantile` of the jobs like this one still running are done, a little
      // after, so the check finds them done. Skip ahead freely to the earliest expected end;
      // past it, where jobs are finishing, stay dense. A young job is still checked now and
      // then, in case the model got faster.
      const cap = Math.min(o.maxIntervalMs, Math.max(o.earlyIntervalMs, o.backoffRatio * e));
      const i = Math.min(left.length - 1, Math.max(0, Math.ceil(o.quantile * left.length) - 1));
      gap = Math.min(cap, left[i]! - e + 25, Math.max(left[0]! - e + 25, o.denseIntervalMs));
      // Among jobs whose durations spread widely, or known from few samples, the next expected
      // end may be seconds away although this job could end any moment: stay dense while GETs allow.
      if (durations[0]! <= e) gap = Math.min(gap, this.#paced(o.finishingIntervalMs, budgetLoad(context.gets)) ?? gap);
      // What was learned never makes the schedule worse than the cold one while GETs have room:
      // it may skip checks before the earliest expected end, but from there on no gap is longer
      // than a process that knows nothing would leave.
      if (budgetLoad(context.gets) <= ROOMY && e + gap > durations[0]!) gap = Math.min(gap, Math.max(open, durations[0]! - e + 25));
    } else if (left.length > 0) {
      // Only neighbours' jobs (or a first sample or two) say when it may end: until then, check
      // at the official SDKs' pace, no sparser; from then on, as with no forecast.
      const sdkGap = context.polls === 0 ? o.sdkFirstPollMs - e : o.sdkIntervalMs;
      gap = Math.max(open, Math.min(left[0]! - e + 25, sdkGap));
    } else {
      gap = open;
    }
    return Math.round(Math.max(o.minIntervalMs, Math.min(o.maxIntervalMs, gap)));
  }

  /** The gap when nothing says when the job ends: dense while GETs have room, the SDKs' pace as they tighten, then backing off. */
  #openGap(context: PollContext): number {
    const o = this.options;
    if (context.polls === 0) return o.firstPollMs - context.elapsedMs;
    // Once GETs are short: a quarter of the time elapsed, and the budget serves the likeliest first.
    return this.#paced(o.openIntervalMs, budgetLoad(context.gets)) ?? Math.max(o.sdkIntervalMs, o.backoffRatio * context.elapsedMs);
  }

  /** `ms` while GETs have room, stretched toward the SDKs' pace as they tighten; null once they are short. */
  #paced(ms: number, load: number): number | null {
    if (load <= ROOMY) return ms;
    if (load <= STRAINED) return ms + ((load - ROOMY) / (STRAINED - ROOMY)) * Math.max(0, this.options.sdkIntervalMs - ms);
    return null;
  }

  /** The newest samples of every model of a product, cached until the store changes. */
  #productSamples(product: string): Array<{ modelId: string; sample: TimingSample }> {
    const cached = this.#pools.get(product);
    if (cached && cached.version === this.timings.version) return cached.samples;
    const samples: Array<{ modelId: string; sample: TimingSample }> = [];
    for (const [modelId, t] of this.timings.models()) {
      if (t.product === product) for (const sample of t.samples) samples.push({ modelId, sample });
    }
    samples.sort((a, b) => a.sample.at - b.sample.at);
    const pool = { version: this.timings.version, samples: samples.slice(-PRODUCT_SAMPLES) };
    this.#pools.set(product, pool);
    return pool.samples;
  }
}

/** Parses Mindee's timestamps, which often have no time zone (they are UTC). */
export function parseApiTime(value: string | null): number | null {
  if (!value) return null;
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
  const t = Date.parse(withZone);
  return Number.isNaN(t) ? null : t;
}
