/**
 * Many calls in one session: the shared rate budget keeps a burst under the API's limits,
 * and a long run leaves memory flat.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';

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
    for (const r of results) expect((r.structuredContent as any).result.fields.invoice_number).toBe('INV-2026-0042');
    expect(h.emulator.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(h.emulator.requests.filter((r) => r.method === 'POST')).toHaveLength(100);
  });
});

describe('a long session', () => {
  it('1 000 sequential calls leave memory flat', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    h = await startHarness({
      emulator: { resultTtlMs: 500 },
      client: { polling: { firstPollMs: 0, minIntervalMs: 0, maxIntervalMs: 10, earlyIntervalMs: 0, backoffRatio: 0, quantile: 0.25 } },
    });
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
    const heapAfter = async (calls: number) => {
      for (let i = 0; i < calls; i++) {
        const r = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
        if (r.isError) throw new Error(textOf(r));
      }
      gc();
      return process.memoryUsage().heapUsed;
    };
    // The first calls fill what is bounded on purpose (the result cache holds 100 results).
    const warm = await heapAfter(200);
    const end = await heapAfter(800);
    console.error(`heap after 200 calls: ${(warm / 1048576).toFixed(1)} MB, after 1000: ${(end / 1048576).toFixed(1)} MB`);
    expect((end - warm) / 1024 / 1024).toBeLessThan(8);
  }, 120_000);
});
