/**
 * Issue 17: the per-caller limit counted HTTP requests, so a JSON-RPC batch of 40 calls counted
 * once. Each call of a batch now takes a place; a batch larger than the limit is refused outright.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

let nextId = 1;
const call = (method: string, params: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id: nextId++, method, params });
// A client that takes JSON only gets one JSON answer (an array, for a batch).
const batch = (messages: object[]) => h!.fetch('/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(messages) });
const waitingEnqueue = (i: number) => call('tools/call', { name: 'enqueue_document', arguments: { model_id: 'invoice', url: `https://example.com/${i}.pdf`, max_wait_seconds: 60 } });

describe('calls in flight per caller, in batches', () => {
  it('counts every call of a batch: 3 waiting calls and a batch of 2 pass a limit of 4 only once the 3 have ended', async () => {
    h = await startHttpHarness({ env: { MINDEE_MCP_MAX_CONCURRENT_CALLS: '4' }, emulator: { processingMs: Infinity } });
    const jobs: string[] = [];
    const threeCreated = new Promise<void>((resolve) => {
      h!.emulator.on('job-created', (job: { id: string }) => {
        jobs.push(job.id);
        if (jobs.length === 3) resolve();
      });
    });
    const waiting = batch([waitingEnqueue(1), waitingEnqueue(2), waitingEnqueue(3)]);
    await threeCreated;

    const two = await batch([call('tools/list'), call('tools/list')]);
    expect(two.status).toBe(429);
    expect(two.json().error.message).toMatch(/limit is 4, MINDEE_MCP_MAX_CONCURRENT_CALLS; this batch has 2/);
    // One more call is within the limit.
    expect((await batch([call('tools/list')])).status).toBe(200);

    for (const id of jobs) h.emulator.completeJob(id);
    const answered = await waiting;
    expect(answered.status).toBe(200);
    expect(answered.json()).toHaveLength(3);
    // The three places are free again.
    const four = await batch([call('tools/list'), call('tools/list'), call('tools/list'), call('tools/list')]);
    expect(four.status).toBe(200);
    expect(four.json()).toHaveLength(4);
  });

  it('refuses a batch of more calls than the limit, saying to send fewer, and runs none of them', async () => {
    h = await startHttpHarness({ env: { MINDEE_MCP_MAX_CONCURRENT_CALLS: '8' } });
    const forty = Array.from({ length: 40 }, (_, i) => call('tools/call', { name: 'enqueue_document', arguments: { model_id: 'invoice', url: `https://example.com/${i}.pdf`, wait: false } }));
    const res = await batch(forty);
    expect(res.status).toBe(400);
    expect(res.json().error.message).toMatch(/This batch has 40 calls; a caller may have at most 8 in flight \(MINDEE_MCP_MAX_CONCURRENT_CALLS\): send fewer calls per batch/);
    expect(h.emulator.requests).toHaveLength(0);
  });
});
