/**
 * Issue 17: in mindee-key mode, a made-up key of the right form got document work done before
 * Mindee refused it, and each made-up key was a new caller with limits of its own. A key is now
 * asked of Mindee before any body of its requests is read (the answer kept a while), and requests
 * of keys not yet known good are bounded for the whole server. Mindee unreachable locks no key out.
 */
import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { CHECK_MS, MAX_UNVERIFIED_REQUESTS } from '../../src/http/admission.js';
import { JSON_HEADERS, rpc, startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { TEST_API_KEY, addSecret } from '../setup/secrets.js';

const madeUp = (i: number) => {
  const key = `md_made_up_${String(i).padStart(2, '0')}_0123456789abcdef`;
  addSecret(key);
  return key;
};

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const post = (path: string, key: string, body: string | Buffer, contentType = 'application/json') =>
  h!.fetch(path, { method: 'POST', headers: { ...JSON_HEADERS, 'content-type': contentType, authorization: `Bearer ${key}` }, body });
const enqueue = rpc('tools/call', { name: 'enqueue_document', arguments: { model_id: 'invoice', url: 'https://example.com/a.pdf', wait: false } });

describe('keys Mindee does not know, in mindee-key mode', () => {
  it('are refused with 401 before any document work, asked of Mindee once', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const key = madeUp(0);
    const call = await post('/mcp', key, enqueue);
    expect(call.status).toBe(401);
    expect(call.json().error_description).toMatch(/Mindee refused the API key sent with this request/);
    const upload = await post('/uploads', key, makeSampleInvoicePdf(), 'application/pdf');
    expect(upload.status).toBe(401);
    expect(await readdir(h.remote.uploads.dir)).toEqual([]);
    // One model search, and nothing else: no enqueue, and the refusal was remembered.
    expect(h.emulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v2/search/models']);
  });

  it('check a new key once, however many of its requests come at once, and none of them is turned away', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const answers = await Promise.all(Array.from({ length: 3 * MAX_UNVERIFIED_REQUESTS }, () => post('/mcp', TEST_API_KEY, rpc('tools/list'))));
    expect(answers.map((a) => a.status)).toEqual(Array(3 * MAX_UNVERIFIED_REQUESTS).fill(200));
    expect(h.emulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v2/search/models']);
  });

  it('are bounded as a whole while Mindee does not answer; a key known good passes; none is locked out', async () => {
    const clock = new ManualClock();
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'], clock });
    // The good key is known before Mindee stops answering.
    expect((await post('/mcp', TEST_API_KEY, rpc('tools/list'))).status).toBe(200);

    h.emulator.injectFault({ route: 'search', kind: 'hang', times: Infinity });
    let hung = 0;
    const allHung = new Promise<void>((resolve) => {
      h!.emulator.on('fault', () => {
        if (++hung === MAX_UNVERIFIED_REQUESTS) resolve();
      });
    });
    const waiting = Array.from({ length: MAX_UNVERIFIED_REQUESTS }, (_, i) => post('/mcp', madeUp(i + 1), rpc('tools/list')));
    await allHung;

    const one = await post('/mcp', madeUp(50), rpc('tools/list'));
    expect(one.status).toBe(503);
    expect(one.headers.get('retry-after')).toBe('2');
    expect(one.json().error_description).toContain(`checking as many new Mindee API keys as it takes at once (${MAX_UNVERIFIED_REQUESTS} checks and requests)`);
    expect((await post('/mcp', TEST_API_KEY, rpc('tools/list'))).status).toBe(200);

    // Mindee never answered: the requests are served (a good key would be locked out otherwise).
    clock.advanceTo(clock.now() + CHECK_MS);
    expect((await Promise.all(waiting)).map((r) => r.status)).toEqual(Array(MAX_UNVERIFIED_REQUESTS).fill(200));

    // That answer was not kept: Mindee back, the key is asked again, and refused.
    h.emulator.clearFaults();
    expect((await post('/mcp', madeUp(1), rpc('tools/list'))).status).toBe(401);
  });
});
