import { describe, expect, it } from 'vitest';
import { DEFAULT_POLLING, PollPlanner, parseApiTime } from '../../src/client/planner.js';

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

/** Runs the planner on a job of a known duration, as waitForResult would, without waiting. */
function plannerPolls(planner: PollPlanner, modelId: string, pages: number, duration: number): { polls: number; delay: number } {
  let t = 0;
  let polls = 0;
  for (;;) {
    t += planner.nextDelay({ modelId, pages, elapsedMs: t, polls });
    polls++;
    if (t >= duration) break;
  }
  planner.observe(modelId, pages, duration);
  return { polls, delay: t - duration };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A deterministic pseudo-random sequence, so the simulation is the same on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

describe('PollPlanner', () => {
  it('checks a job of an unknown model early, then backs off within bounds', () => {
    const planner = new PollPlanner();
    expect(planner.nextDelay({ modelId: 'm', pages: 1, elapsedMs: 0, polls: 0 })).toBe(DEFAULT_POLLING.firstPollMs);
    const gaps = [2000, 8000, 30_000, 120_000].map((elapsedMs) => planner.nextDelay({ modelId: 'm', pages: 1, elapsedMs, polls: 3 }));
    expect(gaps).toEqual([1000, 2000, 4000, 4000]);
  });

  it('learns processing time per page and checks near the expected end', () => {
    const planner = new PollPlanner();
    for (const pages of [1, 4, 8, 12, 20]) planner.observe('m', pages, 1000 * pages + 300);
    const predicted = planner.predictions('m', 10);
    expect(predicted[0]).toBeGreaterThan(10_000);
    expect(predicted.at(-1)).toBeLessThan(10_600);
    // Just before the expected end, the next check lands just after it.
    const gap = planner.nextDelay({ modelId: 'm', pages: 10, elapsedMs: 10_000, polls: 8 });
    expect(10_000 + gap).toBeGreaterThanOrEqual(10_300);
    expect(10_000 + gap).toBeLessThan(10_700);
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

  it('forgets old samples and models, so its memory is bounded', () => {
    const planner = new PollPlanner();
    for (let i = 0; i < 1000; i++) planner.observe(`model-${i % 300}`, 1, 1000);
    expect((planner as unknown as { history: Map<string, unknown[]> }).history.size).toBeLessThanOrEqual(256);
    for (let i = 0; i < 1000; i++) planner.observe('one', 1, i);
    expect(planner.predictions('one', 1)).toHaveLength(64);
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
