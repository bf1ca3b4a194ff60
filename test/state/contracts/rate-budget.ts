/**
 * The rate budget of one scope, against each implementation (../memory-contracts.test.ts,
 * ../redis/contracts.test.ts), on a manual clock (on Redis, the scripts take "now" from it too):
 * what is free is granted at once, what is not is never waited for by tryTake, and GETs and POSTs
 * have windows of their own.
 */
import { describe, expect, it } from 'vitest';
import type { RateBudget, RateLimits, Settle } from '../../../src/state/rate-budget.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const MINUTE = 60_000;

export interface RateBudgetBackend {
  name: string;
  make(limits: Required<RateLimits>, clock: ManualClock): Promise<RateBudget>;
  /** How long past a slot's freeing a waiting caller can go unserved (memory: the next ms; Redis is asked again every 500 ms at most). */
  lookMs: number;
}

/**
 * Moves the clock from timer to timer until `granted` settles (bounded); the clock's time then.
 * Only timers within a window count: the caller's deadline, further away, is never reached.
 */
async function grantedAt(clock: ManualClock, granted: Promise<Settle>): Promise<number> {
  let at: number | undefined;
  const done = granted.then((settle) => {
    at = clock.now();
    settle();
  });
  for (let i = 0; i < 1000 && at === undefined; i++) {
    const due = await Promise.race([clock.nextTimer(MINUTE), done.then(() => null)]);
    if (due !== null) clock.advanceTo(due);
  }
  await done;
  return at!;
}

export function rateBudgetContract(impl: RateBudgetBackend): void {
  describe(`${impl.name}: rate budget`, () => {
    it('tryTake grants what is free now and answers null past it, never waiting', async () => {
      const budget = await impl.make({ postPerMinute: 2, getPerMinute: 10, windowMs: MINUTE }, new ManualClock());
      const first = await budget.tryTake('post');
      const second = await budget.tryTake('post');
      expect([first, second].every((s) => typeof s === 'function')).toBe(true);
      expect(await budget.tryTake('post')).toBeNull();
      expect(budget.usage().post.queued).toBe(0);
    });

    it('keeps GETs and POSTs in separate windows', async () => {
      const clock = new ManualClock();
      const budget = await impl.make({ postPerMinute: 1, getPerMinute: 2, windowMs: MINUTE }, clock);
      (await budget.take('post'))();
      (await budget.take('get'))();
      expect(budget.usage().post).toMatchObject({ inWindow: 1, perMinute: 1 });
      expect(budget.usage().get).toMatchObject({ inWindow: 1, perMinute: 2 });
      // A second POST waits a window after the first ended.
      const start = clock.now();
      const posted = await grantedAt(clock, budget.take('post', { deadline: start + 10 * MINUTE }));
      expect(posted - start).toBeGreaterThanOrEqual(MINUTE);
      expect(posted - start).toBeLessThanOrEqual(MINUTE + impl.lookMs);
    });
  });
}
