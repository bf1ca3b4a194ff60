/**
 * Many calls in one session: the shared rate budget keeps a burst under the API's limits,
 * and a long run keeps everything it remembers within its bounds (the heap itself is measured
 * in `npm run bench`, not asserted here).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { structuredOf } from '../helpers/structured.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('100 concurrent tool calls against a rate-limited API', () => {
  it('all succeed, and the API never has to answer 429', async () => {
    // Mindee's limits, with time running 120 times faster: 25 POST and 50 GET per 500 ms.
    h = await startHarness({
      emulator: { processingMs: 300, rateLimits: { postPerMinute: 25, getPerMinute: 50, windowMs: 500 } },
      client: { rateLimits: { postPerMinute: 22, getPerMinute: 45, windowMs: 500 }, polling: undefined },
      settings: { maxWaitSeconds: 30 },
    });
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, alias: `doc-${i}`, fields: ['invoice_number'] }),
      ),
    );
    const failed = results.filter((r) => r.isError).map(textOf);
    expect(failed).toEqual([]);
    for (const r of results) expect(structuredOf('enqueue_document', r).result!.fields!.invoice_number).toBe('INV-2026-0042');
    expect(h.emulator.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(h.emulator.requests.filter((r) => r.method === 'POST')).toHaveLength(100);
  });
});

describe('a long session', () => {
  it('keeps what it remembers bounded over 500 calls: kept results, jobs, listeners, queues', async () => {
    // A small result store, so the bound is reached well within the run.
    h = await startHarness({
      client: { resultCache: { maxEntries: 20 }, polling: { firstPollMs: 0, minIntervalMs: 0, maxIntervalMs: 10, earlyIntervalMs: 0, backoffRatio: 0, quantile: 0.25 } },
    });
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
    for (let i = 0; i < 500; i++) {
      const r = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
      if (r.isError) throw new Error(textOf(r));
    }
    const connection = h.client.connection;
    expect((await h.client.results.list()).length).toBe(20);
    expect(connection.jobs.size).toBeLessThanOrEqual(connection.jobs.max);
    expect((connection.state.jobEvents as unknown as { watched: number }).watched).toBe(0);
    expect(h.client.budget.usage().get.queued + h.client.budget.usage().post.queued).toBe(0);
  }, 120_000);
});
