import { describe, expect, it } from 'vitest';
import { DEFAULT_POLLING, PollPlanner, budgetLoad, parseApiTime, type PollContext } from '../../src/client/planner.js';
import type { BudgetUsage } from '../../src/state/rate-budget.js';
import { MemoryTimingStore } from '../../src/state/timings.js';

/** The official SDKs' schedule: first check at 2 s, then every 1.5 s. */
function sdkPolls(duration: number): { polls: number; delay: number } {
  let t = 2000;
  let polls = 1;
  while (t < duration) {
    t += 1500;
    polls++;
  }
  return { polls, delay: t - duration };
}

/** The times of the checks the planner asks for on a job of a known duration, as waitForResult would, without waiting. */
function schedule(planner: PollPlanner, context: Omit<PollContext, 'elapsedMs' | 'polls'>, duration: number): number[] {
  const at: number[] = [];
  let t = 0;
  while (at.length === 0 || t < duration) {
    t += planner.nextDelay({ ...context, elapsedMs: t, polls: at.length });
    at.push(t);
  }
  return at;
}

function plannerPolls(planner: PollPlanner, modelId: string, pages: number, duration: number): { polls: number; delay: number } {
  const at = schedule(planner, { modelId, pages }, duration);
  planner.observe(modelId, pages, duration);
  return { polls: at.length, delay: at.at(-1)! - duration };
}

/**
 * Jobs started together on one planner, in simulated time: each is checked when the planner
 * says, and a job found done teaches the planner before the next check of any other.
 */
function batch(planner: PollPlanner, jobs: Array<{ pages: number; duration: number }>, gets?: BudgetUsage): Array<{ polls: number; delay: number }> {
  const live = jobs.map((job, index) => ({ ...job, index, polls: 0, next: planner.nextDelay({ modelId: 'm', pages: job.pages, elapsedMs: 0, polls: 0, gets }) }));
  const out: Array<{ polls: number; delay: number }> = [];
  while (live.length > 0) {
    live.sort((a, b) => a.next - b.next);
    const job = live[0]!;
    job.polls++;
    if (job.next >= job.duration) {
      live.shift();
      planner.observe('m', job.pages, job.duration, 'extraction', 1_700_000_000_000 + job.next);
      out[job.index] = { polls: job.polls, delay: job.next - job.duration };
    } else {
      job.next += planner.nextDelay({ modelId: 'm', pages: job.pages, elapsedMs: job.next, polls: job.polls, gets });
    }
  }
  return out;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
const median = (xs: number[]) => quantile(xs, 0.5);
const roomy: BudgetUsage = { perMinute: 1080, inWindow: 100, queued: 0 };

/** A deterministic pseudo-random sequence, so the simulation is the same on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

describe('PollPlanner with no history', () => {
  it('checks at least as densely as the official SDKs while GETs have room: first by 2 s, then at most 1.5 s apart', () => {
    const planner = new PollPlanner();
    for (const duration of [500, 1900, 4200, 13_000, 60_000]) {
      const at = schedule(planner, { modelId: 'new', pages: 3, gets: roomy }, duration);
      expect(at[0]).toBeLessThanOrEqual(2000);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      expect(Math.max(...gaps, 0)).toBeLessThanOrEqual(1500);
    }
    expect(planner.nextDelay({ modelId: 'new', pages: 1, elapsedMs: 0, polls: 0 })).toBe(DEFAULT_POLLING.firstPollMs);
  });

  it('lets the GET budget decide under load: denser while it has room, backing off once callers queue for slots', () => {
    const planner = new PollPlanner();
    const gap = (inWindow: number, queued = 0) => planner.nextDelay({ modelId: 'new', pages: 1, elapsedMs: 12_000, polls: 5, gets: { perMinute: 1000, inWindow, queued } });
    expect(gap(100)).toBe(DEFAULT_POLLING.openIntervalMs);
    expect(gap(650)).toBeGreaterThan(DEFAULT_POLLING.openIntervalMs);
    expect(gap(650)).toBeLessThan(DEFAULT_POLLING.sdkIntervalMs);
    expect(gap(900)).toBe(3000);
    expect(gap(10, 4)).toBe(3000);
    expect(planner.nextDelay({ modelId: 'new', pages: 1, elapsedMs: 60_000, polls: 20, gets: { perMinute: 1000, inWindow: 1000, queued: 9 } })).toBe(DEFAULT_POLLING.maxIntervalMs);
    expect(budgetLoad(undefined)).toBe(0);
  });

  it('starts dense checks where other models of the same product were finishing, never sparser than the SDKs before', () => {
    const planner = new PollPlanner();
    for (let i = 0; i < 10; i++) planner.observe('other-invoices', 2, 8000 + 50 * i, 'extraction', 1_700_000_000_000 + i);
    const informed = schedule(planner, { modelId: 'new-invoices', pages: 2, product: 'extraction', gets: roomy }, 8300);
    const blind = schedule(planner, { modelId: 'new-ocr', pages: 2, product: 'ocr', gets: roomy }, 8300);
    expect(informed[0]).toBeLessThanOrEqual(2000);
    expect(Math.max(...informed.slice(1).map((t, i) => t - informed[i]!))).toBeLessThanOrEqual(1500);
    // Fewer checks while the job surely runs, the same promptness once it may be done.
    expect(informed.length).toBeLessThan(blind.length);
    expect(informed.at(-1)! - 8300).toBeLessThanOrEqual(DEFAULT_POLLING.openIntervalMs);
    // Nothing of another product is borrowed.
    expect(planner.forecast({ modelId: 'new-ocr', pages: 2, product: 'ocr' }).durations).toEqual([]);
    expect(planner.forecast({ modelId: 'new-invoices', pages: 2, product: 'extraction' }).trusted).toBe(false);
  });

  it('over batches of 8 jobs from a fresh start, beats the SDK: median delay ≤ 0.8×, p90 ≤ its p90, at most 2× its checks', () => {
    const random = rng(11);
    const ours: Array<{ polls: number; delay: number }> = [];
    const sdk: Array<{ polls: number; delay: number }> = [];
    for (let round = 0; round < 20; round++) {
      const jobs = Array.from({ length: 8 }, () => {
        const pages = 1 + Math.floor(random() * 20);
        return { pages, duration: round % 2 ? pages * 1000 * (0.9 + 0.2 * random()) : 1000 + 19_000 * random() };
      });
      ours.push(...batch(new PollPlanner(), jobs, roomy));
      sdk.push(...jobs.map((j) => sdkPolls(j.duration)));
    }
    const delays = (xs: typeof ours) => xs.map((x) => x.delay);
    expect(median(delays(ours))).toBeLessThanOrEqual(0.8 * median(delays(sdk)));
    expect(quantile(delays(ours), 0.9)).toBeLessThanOrEqual(quantile(delays(sdk), 0.9));
    expect(ours.reduce((t, o) => t + o.polls, 0)).toBeLessThanOrEqual(2 * sdk.reduce((t, o) => t + o.polls, 0));
  });
});

describe('PollPlanner with history', () => {
  it('learns processing time per page and checks near the expected end', () => {
    const planner = new PollPlanner();
    for (let i = 0; i < 4; i++) for (const pages of [1, 4, 8, 12, 20]) planner.observe('m', pages, 1000 * pages + 300 + i);
    const predicted = planner.predictions('m', 10);
    expect(predicted[0]).toBeGreaterThan(10_000);
    expect(predicted.at(-1)).toBeLessThan(10_600);
    // Just before the expected end, the next check lands just after it.
    const gap = planner.nextDelay({ modelId: 'm', pages: 10, elapsedMs: 10_000, polls: 8 });
    expect(10_000 + gap).toBeGreaterThanOrEqual(10_300);
    expect(10_000 + gap).toBeLessThan(10_700);
  });

  it('widens what a few samples forecast: three points lie close to any line through them', () => {
    const planner = new PollPlanner();
    for (const pages of [1, 4, 11]) planner.observe('m', pages, 1000 * pages);
    const predicted = planner.predictions('m', 20);
    expect(predicted.slice(1, -1).every((t) => Math.abs(t - 20_000) < 10)).toBe(true);
    // A 20-page job that runs 10 % faster than the line is still found promptly.
    const at = schedule(planner, { modelId: 'm', pages: 20, gets: roomy }, 18_000);
    expect(at.at(-1)! - 18_000).toBeLessThanOrEqual(DEFAULT_POLLING.finishingIntervalMs);
    expect(predicted[0]).toBeLessThan(18_000);
    expect(predicted.at(-1)).toBeGreaterThan(22_000);
  });

  it('keeps checking densely a job that has outlived every job like it, instead of backing off', () => {
    const planner = new PollPlanner();
    // The first jobs to finish in a fresh session are the short ones.
    for (const ms of [1200, 1500, 1800]) planner.observe('m', null, ms);
    const gaps = [5000, 12_000, 30_000].map((elapsedMs) => planner.nextDelay({ modelId: 'm', pages: null, elapsedMs, polls: 6, gets: roomy }));
    expect(gaps).toEqual([750, 750, 750]);
  });

  it('over a page-driven mix of 1–20 s jobs, delivers with under half the official SDK\'s delay and at most twice its checks', () => {
    const planner = new PollPlanner();
    const random = rng(7);
    const ours: Array<{ polls: number; delay: number }> = [];
    const sdk: Array<{ polls: number; delay: number }> = [];
    for (let i = 0; i < 300; i++) {
      const pages = 1 + Math.floor(random() * 20);
      const duration = pages * 1000 * (0.9 + 0.2 * random());
      const mine = plannerPolls(planner, 'm', pages, duration);
      if (i >= 20) {
        ours.push(mine);
        sdk.push(sdkPolls(duration));
      }
    }
    const ourDelay = median(ours.map((o) => o.delay));
    const sdkDelay = median(sdk.map((o) => o.delay));
    const pollsRatio = ours.reduce((t, o) => t + o.polls, 0) / sdk.reduce((t, o) => t + o.polls, 0);
    expect(ourDelay).toBeLessThan(0.5 * sdkDelay);
    expect(pollsRatio).toBeLessThanOrEqual(2);
  });

  it('never makes the schedule worse than the cold one while GETs have room: a restarted process on 2–13 s one-page jobs', () => {
    // What a first process learned from 8 jobs of 2–13 s (one page each), as a restart reads it.
    const learned = new PollPlanner();
    const random = rng(11);
    const durations = Array.from({ length: 8 }, () => Math.round(2000 + 11_000 * random()));
    for (const ms of durations) learned.observe('m', 1, ms, 'extraction');
    const cold = new PollPlanner();
    const context = { modelId: 'm', pages: 1, product: 'extraction', gets: roomy };
    let learnedPolls = 0;
    let coldPolls = 0;
    const learnedDelays: number[] = [];
    const coldDelays: number[] = [];
    for (let duration = Math.min(...durations); duration <= 14_000; duration += 50) {
      const warm = schedule(learned, context, duration);
      const fresh = schedule(cold, context, duration);
      // Wherever such a job ends, it is found within the cold schedule's gap…
      expect(warm.at(-1)! - duration, `a ${duration} ms job`).toBeLessThanOrEqual(DEFAULT_POLLING.openIntervalMs);
      learnedDelays.push(warm.at(-1)! - duration);
      coldDelays.push(fresh.at(-1)! - duration);
      learnedPolls += warm.length;
      coldPolls += fresh.length;
    }
    // …as soon as a cold process would find it, typically, and with no more checks.
    expect(median(learnedDelays)).toBeLessThanOrEqual(median(coldDelays));
    expect(learnedPolls).toBeLessThanOrEqual(coldPolls);
  });

  it('reads and writes its history through the timing store it is given', () => {
    const store = new MemoryTimingStore();
    new PollPlanner(DEFAULT_POLLING, store).observe('m', 4, 4100, 'extraction', 1_700_000_000_000);
    expect(store.get('m')).toEqual({ product: 'extraction', samples: [{ pages: 4, ms: 4100, at: 1_700_000_000_000 }] });
    store.record('m', null, { pages: 4, ms: 4200, at: 1_700_000_001_000 });
    store.record('m', null, { pages: 4, ms: 4300, at: 1_700_000_002_000 });
    // Another planner on the same store (a restart) knows what the first learned.
    const restarted = new PollPlanner(DEFAULT_POLLING, store);
    expect(restarted.forecast({ modelId: 'm', pages: 4 }).trusted).toBe(true);
    expect(restarted.predictions('m', 4)).toEqual(expect.arrayContaining([4100, 4200, 4300]));
  });
});

describe('parseApiTime', () => {
  it('reads Mindee timestamps without a zone as UTC', () => {
    expect(parseApiTime('2025-07-03T14:27:58.974451')).toBe(Date.UTC(2025, 6, 3, 14, 27, 58, 974));
    expect(parseApiTime('2025-07-03T14:27:58+02:00')).toBe(Date.UTC(2025, 6, 3, 12, 27, 58));
    expect(parseApiTime(null)).toBeNull();
    expect(parseApiTime('soon')).toBeNull();
  });
});
