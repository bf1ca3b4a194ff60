import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { DEMO_MODELS, EMULATOR_API_KEY, startEmulator } from '../src/index.js';
import type { Emulator, EmulatorOptions, RequestRecord } from '../src/index.js';
import { makePng } from '../src/sample-documents.js';
import { call, enqueue, finished } from './helpers.js';

let emu: Emulator | undefined;
async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await startEmulator(options);
  return emu;
}
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const search = (e: Emulator) => call(e, 'GET', '/v2/search/models');

describe('rate limits', () => {
  it('answers 429 with Retry-After past the GET limit of a sliding 60 s window', async () => {
    let now = 1_000_000;
    const e = await start({ rateLimits: { postPerMinute: 2, getPerMinute: 3 }, clock: () => now });
    for (let i = 0; i < 3; i++) {
      expect((await search(e)).status).toBe(200);
      now += 10_000;
    }
    const limited = await search(e);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('30');
    expect(limited.json).toMatchObject({ status: 429, code: '429-001', errors: [] });
    // Unauthorized requests do not count and are refused first.
    expect((await call(e, 'GET', '/v2/search/models', { key: 'md_wrong' })).status).toBe(401);
    now += 30_000;
    expect((await search(e)).status).toBe(200);
  });

  it('counts POST separately from GET', async () => {
    const now = 5_000_000;
    const e = await start({ rateLimits: { postPerMinute: 2, getPerMinute: 100 }, clock: () => now, processingMs: Infinity });
    for (let i = 0; i < 2; i++) expect((await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() })).status).toBe(202);
    const limited = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBe(60);
    expect((await search(e)).status).toBe(200);
  });

  it("defaults to Mindee's limits, and can be turned off", async () => {
    const e = await start({ rateLimits: false });
    for (let i = 0; i < 20; i++) expect((await search(e)).status).toBe(200);
  });
});

describe('injected faults', () => {
  it('status: a problem with the given status and Retry-After, used up after `times` hits', async () => {
    const e = await start();
    e.injectFault({ route: 'search', kind: 'status', status: 503, retryAfterSeconds: 2, times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await search(e);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('2');
      expect(res.json).toMatchObject({ status: 503, title: 'Service unavailable', code: '503-000' });
    }
    expect((await search(e)).status).toBe(200);
  });

  it('applies only to its route, and before the key check', async () => {
    const e = await start({ processingMs: Infinity });
    e.injectFault({ route: 'enqueue', kind: 'status', status: 500 });
    expect((await search(e)).status).toBe(200);
    expect((await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() }, null)).status).toBe(500);
    expect((await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() })).status).toBe(202);
  });

  it("'*' hits any route; clearFaults removes what is left", async () => {
    const e = await start();
    e.injectFault({ route: '*', kind: 'status', status: 502, times: Infinity });
    expect((await call(e, 'GET', '/v2/jobs/abc')).status).toBe(502);
    expect((await search(e)).status).toBe(502);
    e.clearFaults();
    expect((await search(e)).status).toBe(200);
  });

  it('rate-limit: 429 with a problem body and Retry-After', async () => {
    const e = await start();
    e.injectFault({ route: 'search', kind: 'rate-limit', retryAfterSeconds: 7 });
    const res = await search(e);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json.code).toBe('429-001');
  });

  it('reset: the connection is destroyed without an answer', async () => {
    const e = await start();
    e.injectFault({ route: 'search', kind: 'reset' });
    await expect(search(e)).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/) });
    expect((await search(e)).status).toBe(200);
    expect(e.requests.some((r) => r.status === 0 && r.path === '/v2/search/models')).toBe(true);
  });

  it('malformed-json: 200 (202 on enqueue) with a truncated JSON body', async () => {
    const e = await start();
    e.injectFault({ route: 'search', kind: 'malformed-json' });
    const res = await search(e);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(() => JSON.parse(res.text)).toThrow();
    e.injectFault({ route: 'enqueue', kind: 'malformed-json' });
    const enq = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    expect(enq.status).toBe(202);
    expect(enq.json).toBeUndefined();
  });

  it('html: a proxy error page with the given status', async () => {
    const e = await start();
    e.injectFault({ route: 'job', kind: 'html', status: 504 });
    const res = await call(e, 'GET', '/v2/jobs/anything');
    expect(res.status).toBe(504);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<html>');
    expect(res.text).toContain('504 Gateway timeout');
  });

  it('foreign-result-url: a processed job points result_url and Location at another origin, once', async () => {
    const e = await start({ processingMs: Infinity });
    e.injectFault({ route: 'job', kind: 'foreign-result-url', origin: 'https://attacker.example' });
    const created = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    const id = created.json.job.id;
    // Not consumed while there is no result_url to rewrite.
    expect((await call(e, 'GET', `/v2/jobs/${id}`)).json.job.result_url).toBeNull();
    e.completeJob(id);
    const foreign = await call(e, 'GET', `/v2/jobs/${id}`);
    expect(foreign.status).toBe(302);
    expect(foreign.json.job.result_url).toMatch(/^https:\/\/attacker\.example\/v2\/inferences\//);
    expect(foreign.headers.location).toBe(foreign.json.job.result_url);
    expect(foreign.json.job.polling_url.startsWith(e.url)).toBe(true);
    const normal = await call(e, 'GET', `/v2/jobs/${id}`);
    expect(normal.json.job.result_url.startsWith(e.url)).toBe(true);
  });

  it('probability: hits are drawn from the seeded generator, so runs repeat', async () => {
    const pattern = async (seed: number) => {
      const e = await startEmulator({ seed });
      e.injectFault({ route: 'search', kind: 'status', status: 500, probability: 0.5, times: Infinity });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await search(e)).status);
      await e.close();
      return statuses;
    };
    const a = await pattern(42);
    expect(await pattern(42)).toEqual(a);
    expect(a).toContain(500);
    expect(a).toContain(200);
  });

  it('refuses a malformed fault', async () => {
    const e = await start();
    expect(() => e.injectFault({ route: 'search', kind: 'status', status: 42 })).toThrow(/HTTP status/);
    expect(() => e.injectFault({ route: 'search', kind: 'reset', probability: 2 })).toThrow(/probability/);
    expect(() => e.injectFault({ route: 'search', kind: 'foreign-result-url', origin: 'not a url' })).toThrow(/origin/);
  });

  it('hang: no answer until the client gives up; the emulator notes it and carries on', async () => {
    const e = await start();
    e.injectFault({ route: 'search', kind: 'hang' });
    const abort = new AbortController();
    const hung = request(`${e.url}/v2/search/models`, { headers: { authorization: EMULATOR_API_KEY }, signal: abort.signal });
    await once(e, 'fault');
    const recorded = once(e, 'request') as Promise<[RequestRecord]>;
    abort.abort();
    await expect(hung).rejects.toThrow();
    const [record] = await recorded;
    expect(record).toMatchObject({ path: '/v2/search/models', status: 0 });
    expect((await search(e)).status).toBe(200);
  });

  it('close() ends hung requests, keep-alive sockets and pending job timers', async () => {
    const e = await startEmulator({ processingMs: 60_000 });
    const created = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    expect(created.status).toBe(202);
    e.injectFault({ route: 'job', kind: 'hang' });
    const hung = request(`${e.url}/v2/jobs/${created.json.job.id}`, { headers: { authorization: EMULATOR_API_KEY } });
    await once(e, 'fault');
    // Were the 60 s job timer or the hung request waited for, this would outlive the test's time-out.
    await e.close();
    await expect(hung).rejects.toThrow();
    await e.close(); // idempotent
  });

  it('a job still finishes after faults on its polls', async () => {
    const e = await start({ processingMs: 0 });
    const created = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    e.injectFault({ route: 'job', kind: 'status', status: 502 });
    expect((await call(e, 'GET', `/v2/jobs/${created.json.job.id}`)).status).toBe(502);
    await finished(e, created.json.job.id);
    expect((await call(e, 'GET', `/v2/jobs/${created.json.job.id}`)).status).toBe(302);
  });
});
