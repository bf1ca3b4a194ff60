import { describe, expect, it } from 'vitest';
import { MindeeAbortError, MindeeTimeoutError } from '../../src/client/errors.js';
import { DEFAULT_POLLING, PollPlanner, RateBudget, parseApiTime } from '../../src/client/polling.js';

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

describe('RateBudget', () => {
  it('grants up to its limit per window, then the next caller waits for a slot, in order', async () => {
    const budget = new RateBudget(3, Date.now, 100, 3);
    for (let i = 0; i < 3; i++) (await budget.take())();
    expect(budget.inWindow()).toBe(3);
    const order: number[] = [];
    const started = Date.now();
    await Promise.all([budget.take().then(() => order.push(1)), budget.take().then(() => order.push(2))]);
    expect(order).toEqual([1, 2]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('paces grants: a crowd gets a small burst, then slots at the steady rate', async () => {
    // 600 a minute is 10 a second: a burst of 30, then one every 100 ms.
    const budget = new RateBudget(600, Date.now, 60_000);
    expect(budget.burst).toBe(30);
    const started = Date.now();
    const granted: number[] = [];
    await Promise.all(Array.from({ length: 33 }, () => budget.take().then((settle) => (settle(), granted.push(Date.now() - started)))));
    expect(granted.slice(0, 30).every((t) => t < 50)).toBe(true);
    expect(granted[32]).toBeGreaterThanOrEqual(250);
  });

  it('serves waiting callers by priority, then in arrival order', async () => {
    const budget = new RateBudget(600, Date.now, 60_000, 1);
    (await budget.take())();
    const order: string[] = [];
    await Promise.all([
      budget.take(undefined, undefined, 2).then(() => order.push('poll')),
      budget.take(undefined, undefined, 1.5).then(() => order.push('likely-done poll')),
      budget.take(undefined, undefined, 0).then(() => order.push('result')),
    ]);
    expect(order).toEqual(['result', 'likely-done poll', 'poll']);
  });

  it('holds a slot while its request is in flight, and a full window after it ends', async () => {
    const budget = new RateBudget(1, Date.now, 50, 1);
    const settle = await budget.take();
    let granted = false;
    const next = budget.take().then((s) => {
      granted = true;
      return s;
    });
    // However long the request runs, the slot stays taken…
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(granted).toBe(false);
    const ended = Date.now();
    settle();
    // …and frees a window after it ended.
    (await next)();
    expect(Date.now() - ended).toBeGreaterThanOrEqual(45);
  });

  it('gives up at the deadline or on abort instead of waiting past them', async () => {
    const budget = new RateBudget(1, Date.now, 60_000);
    (await budget.take())();
    await expect(budget.take(undefined, Date.now() + 20)).rejects.toThrow(MindeeTimeoutError);
    const controller = new AbortController();
    const waiting = budget.take(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow(MindeeAbortError);
    expect(budget.inWindow()).toBe(1);
  });
});
