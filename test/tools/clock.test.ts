/**
 * The tools keep time by the process's clock (the connection's, injected at start), as the
 * waiter and the transport do: a wait_seconds of 20 ends after 20 s of that clock, whatever the
 * wall clock says.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { ManualClock } from '../helpers/manual-clock.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the tools’ clock', () => {
  it('get_job_status waits wait_seconds by the injected clock, not the wall clock', async () => {
    // A clock months away from the wall clock: a deadline read from Date.now() would never come.
    const clock = new ManualClock(Date.UTC(2020, 0, 1));
    // Polls a second apart: fake time moves only to them (a request's time-out, 5 s away, means a request is in flight).
    const second = { firstPollMs: 1000, minIntervalMs: 1000, maxIntervalMs: 1000, earlyIntervalMs: 1000 };
    h = await startHarness({ emulator: { processingMs: Number.POSITIVE_INFINITY }, client: { clock, polling: second } });
    const job = await h.client.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: DEMO_MODELS.invoice });
    let settled = false;
    const call = h.call('get_job_status', { job_id: job.id, wait_seconds: 20 }).finally(() => {
      settled = true;
    });
    // Fake time moves poll by poll, at most 200 of them and 60 s of it: the wait ends within.
    for (let i = 0; i < 200 && !settled && clock.now() < Date.UTC(2020, 0, 1) + 60_000; i++) {
      const at = await Promise.race([clock.nextTimer(1500), call.then(() => null)]);
      if (at !== null) clock.advanceTo(at);
    }
    expect(settled).toBe(true);
    const result = await call;
    expect(textOf(result)).toMatch(/Processing/);
    expect(clock.now() - Date.UTC(2020, 0, 1)).toBeLessThanOrEqual(21_000);
  });
});
