/**
 * Issue 16, Weak 1: callers sharing one rate budget (the callers of one key on a remote server)
 * get fair shares while they wait: one caller's flood of requests does not starve another's. In
 * memory on the test clock, and through the Redis budget (where each process queues its own
 * callers in front of the script). Each failed on the code before, which served a flood in
 * arrival order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRateBudget, type RateBudget } from '../../src/state/rate-budget.js';
import { WaitQueue } from '../../src/state/wait-queue.js';
import { createRedisState } from '../../src/state/redis/index.js';
import type { SharedState } from '../../src/state/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { hasRedis, startRedis, type RedisServer } from '../helpers/redis.js';

/** Queues `count` takes of `caller`; each grant is recorded in `order` and settled at once. */
function flood(budget: RateBudget, caller: string, count: number, order: string[]): Array<Promise<void>> {
  return Array.from({ length: count }, () =>
    budget.take('post', { caller }).then((settle) => {
      order.push(caller);
      settle();
    }),
  );
}

describe('a rate budget shared by several callers', () => {
  it('serves waiting callers in turn: a flood of one does not starve another (memory, test clock)', async () => {
    const clock = new ManualClock();
    const budget = new MemoryRateBudget({ postPerMinute: 2, getPerMinute: 60, windowMs: 1000 }, clock);
    const order: string[] = [];
    // The window is spent, then a floods it and b asks for two slots.
    await Promise.all(flood(budget, 'a', 2, order));
    const all = [...flood(budget, 'a', 10, order), ...flood(budget, 'b', 2, order)];
    expect(budget.usage().post.queued).toBe(12);
    for (let i = 0; i < 20 && order.length < 14; i++) {
      clock.advanceTo(await clock.nextTimer(60_000));
      await Promise.resolve();
    }
    await Promise.all(all);
    // b's two slots come in the first four after the flood began, not after a's ten.
    expect(order.slice(2, 6).filter((c) => c === 'b')).toHaveLength(2);
  });

  it('keeps priority first: a more urgent wait still goes before another caller\'s turn', async () => {
    const clock = new ManualClock();
    const queue = new WaitQueue<string>(clock, () => new Error('deadline'));
    const served: string[] = [];
    const wait = (caller: string, priority: number, name: string) => void queue.wait({ caller, priority }).then(() => served.push(name));
    wait('a', 1, 'a1');
    wait('a', 1, 'a2');
    wait('a', 0, 'a-result');
    wait('b', 1, 'b1');
    wait('b', 2, 'b-speculative');
    wait('a', 1, 'a3');
    for (let i = 0; i < 6; i++) queue.serve('slot');
    await Promise.resolve();
    await Promise.resolve();
    // The result first (priority 0); then a and b in turn within priority 1; the speculative poll last.
    expect(served).toEqual(['a-result', 'b1', 'a1', 'a2', 'a3', 'b-speculative']);
  });
});

describe.skipIf(!hasRedis)('the Redis rate budget shared by several callers', () => {
  const open: Array<SharedState | RedisServer> = [];
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await ('close' in item ? item.close() : item.stop());
  });

  it('serves the callers waiting in one process in turn', async () => {
    const server = await startRedis();
    open.push(server);
    const state = await createRedisState({ url: server.url, rateLimits: { postPerMinute: 2, getPerMinute: 60, windowMs: 300 }, log: { warn: () => {}, info: () => {} } });
    open.push(state);
    const budget = state.rateBudget('org');
    const order: string[] = [];
    await Promise.all(flood(budget, 'a', 2, order));
    await Promise.all([...flood(budget, 'a', 6, order), ...flood(budget, 'b', 2, order)]);
    expect(order.slice(2, 6).filter((c) => c === 'b')).toHaveLength(2);
  });
});
