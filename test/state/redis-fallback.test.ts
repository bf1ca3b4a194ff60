/**
 * A rate scope first used while Redis is away (a new caller's key during an outage) falls back
 * to a local share whose unknown past use is spread over the window just past: slots come back
 * steadily, instead of none for a whole minute. No redis-server needed: the link is down.
 */
import { describe, expect, it } from 'vitest';
import { RedisRateBudget } from '../../src/state/redis/rate-budget.js';
import { ManualClock } from '../helpers/manual-clock.js';

function downLink() {
  const down = () => Promise.reject(new Error('Redis is down'));
  return { up: false, id: 'p1', processes: 1, aliveMs: 15_000, processesKey: 'k:p', key: (n: string) => `k:${n}`, onChange: () => () => {}, eval: down, command: down };
}

describe('RedisRateBudget while Redis is away', () => {
  it('grants a new scope a slot soon, not after a whole window', async () => {
    const clock = new ManualClock();
    const budget = new RedisRateBudget({
      link: downLink() as never,
      scope: 'a-new-caller',
      limits: { postPerMinute: 180, getPerMinute: 1080, windowMs: 60_000 },
      leaseMs: 120_000,
      clock,
    });
    // Its unknown past use fills the window just past, the oldest slot ending a 180th of a window from now.
    expect(await budget.tryTake('post')).toBeNull();
    clock.advanceTo(clock.now() + Math.ceil(60_000 / 180));
    const granted = await budget.tryTake('post');
    expect(granted).not.toBeNull();
    granted!();
    expect(budget.usage().post.inWindow).toBeLessThanOrEqual(180);
  });
});
