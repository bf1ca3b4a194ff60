import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryRateBudget, PacedWindow, RateBudgetDeadlineError } from '../../src/state/rate-budget.js';

// Fake time: the budget's system clock reads the faked Date and timers.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Resolves each grant to the fake time it came at. */
function grantTimes(takes: Array<Promise<() => void>>, start: number, order?: string[], names?: string[]): Promise<number[]> {
  return Promise.all(
    takes.map((p, i) =>
      p.then((settle) => {
        settle();
        if (order && names) order.push(names[i]!);
        return Date.now() - start;
      }),
    ),
  );
}

describe('PacedWindow', () => {
  it('grants up to its limit per window, then the next callers wait for a slot, in order', async () => {
    const window = new PacedWindow(3, 'get', undefined, 100, 3);
    const start = Date.now();
    for (let i = 0; i < 3; i++) (await window.take())();
    expect(window.usage()).toEqual({ perMinute: 3, inWindow: 3, queued: 0 });
    const order: string[] = [];
    const done = grantTimes([window.take(), window.take()], start, order, ['first', 'second']);
    expect(window.usage().queued).toBe(2);
    await vi.advanceTimersByTimeAsync(99);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(order).toEqual(['first', 'second']);
    expect((await done).every((t) => t >= 100)).toBe(true);
  });

  it('paces grants: a crowd gets a small burst, then slots at the steady rate', async () => {
    // 600 a minute is 10 a second: a burst of 30, then one every 100 ms.
    const window = new PacedWindow(600, 'get');
    expect(window.burst).toBe(30);
    const start = Date.now();
    const times = grantTimes(Array.from({ length: 33 }, () => window.take()), start);
    await vi.advanceTimersByTimeAsync(1_000);
    const granted = await times;
    expect(granted.slice(0, 30).every((t) => t === 0)).toBe(true);
    expect(granted.slice(30)).toEqual([100, 200, 300]);
  });

  it('serves waiting callers by priority, then in arrival order', async () => {
    const window = new PacedWindow(600, 'get', undefined, 60_000, 1);
    (await window.take())();
    const order: string[] = [];
    const done = grantTimes(
      [window.take({ priority: 2 }), window.take({ priority: 1.5 }), window.take({ priority: 0 }), window.take({ priority: 0 })],
      Date.now(),
      order,
      ['poll', 'likely-done poll', 'result', 'second result'],
    );
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
    expect(order).toEqual(['result', 'second result', 'likely-done poll', 'poll']);
  });

  it('holds a slot while its request is in flight, and a full window after it ends', async () => {
    const window = new PacedWindow(1, 'post', undefined, 50, 1);
    const settle = await window.take();
    let granted = false;
    const next = window.take().then((s) => {
      granted = true;
      return s;
    });
    // However long the request runs, the slot stays taken…
    await vi.advanceTimersByTimeAsync(10_000);
    expect(granted).toBe(false);
    settle();
    // …and frees a window after it ended.
    await vi.advanceTimersByTimeAsync(49);
    expect(granted).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(granted).toBe(true);
    (await next)();
  });

  it('gives up at the deadline or on abort instead of waiting past them, and forgets the waiter', async () => {
    const window = new PacedWindow(1, 'get', undefined, 60_000);
    (await window.take())();
    const late = window.take({ deadline: Date.now() + 20 });
    const assertion = expect(late).rejects.toBeInstanceOf(RateBudgetDeadlineError);
    await vi.advanceTimersByTimeAsync(20);
    await assertion;
    const controller = new AbortController();
    const waiting = window.take({ signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(window.usage()).toEqual({ perMinute: 1, inWindow: 1, queued: 0 });
    // A deadline already past fails at once.
    await expect(window.take({ deadline: Date.now() - 1 })).rejects.toBeInstanceOf(RateBudgetDeadlineError);
  });
});

describe('MemoryRateBudget', () => {
  it('lets enqueues use the whole window at once, paces speculative polls, and keeps the rest of the burst for results', async () => {
    const budget = new MemoryRateBudget({ postPerMinute: 180, getPerMinute: 1080 });
    const start = Date.now();
    const posts = await grantTimes(Array.from({ length: 180 }, () => budget.take('post')), start);
    expect(posts.every((t) => t === 0)).toBe(true);
    // Polls of jobs not known to be done: a burst of 54 (1080 / 20), then one every 1/18 s…
    const polls = grantTimes(Array.from({ length: 56 }, () => budget.take('get', { priority: 2 })), start);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await polls).filter((t) => t === 0)).toHaveLength(54);
    // …while results (and polls of jobs likely done) still have the rest of half a window's burst.
    const now = Date.now();
    const results = await grantTimes(Array.from({ length: 400 }, () => budget.take('get', { priority: 0 })), now);
    expect(results.every((t) => t === 0)).toBe(true);
    // A queued poll becomes likely done while it waits: it is then served before speculative ones.
    let likely = 0;
    const order: string[] = [];
    const queued = grantTimes([budget.take('get', { priority: 2 }), budget.take('get', { priority: () => 2 - likely })], Date.now(), order, ['speculative', 'now likely']);
    likely = 1;
    await vi.advanceTimersByTimeAsync(30_000);
    await queued;
    expect(order).toEqual(['now likely', 'speculative']);
  });
});
