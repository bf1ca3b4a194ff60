/**
 * A rate scope first used while Redis is away (a new caller's key during an outage) falls back
 * to a local share whose unknown past use is spread over the window just past: slots come back
 * steadily, instead of none for a whole minute. No redis-server needed: the link is down.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/state/clock.js';
import { RedisRateBudget } from '../../src/state/redis/rate-budget.js';

function downLink() {
  const down = () => Promise.reject(new Error('Redis is down'));
  return { up: false, id: 'p1', processes: 1, aliveMs: 15_000, processesKey: 'k:p', key: (n: string) => `k:${n}`, onChange: () => () => {}, eval: down, command: down };
}

describe('RedisRateBudget while Redis is away', () => {
  it('grants a new scope a slot soon, not after a whole window', async () => {
    const budget = new RedisRateBudget({
      link: downLink() as never,
      scope: 'a-new-caller',
      limits: { postPerMinute: 180, getPerMinute: 1080, windowMs: 60_000 },
      leaseMs: 120_000,
      clock: systemClock,
    });
    const granted = await budget.take('post', { deadline: Date.now() + 3000 });
    granted();
    expect(budget.usage().post.inWindow).toBeLessThanOrEqual(180);
  });
});
