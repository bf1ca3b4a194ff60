/**
 * Issue 9, items 1–5 and the weak points of answers: a confused or malicious caller and a
 * hostile or broken API. Each case failed on the code before its fix: the server froze, crashed,
 * leaked a piece of the key, or answered past its budget. After each, the server still answers.
 */
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCommand } from '../../src/config.js';
import { createRedactor } from '../../src/lib/redact.js';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { findSecret, TEST_API_KEY } from '../setup/secrets.js';
import { endless, inference, job, processedJob, sendJson, startHostileApi, type HostileApi } from './helpers/hostile-api.js';

let h: Harness | undefined;
let api: HostileApi | undefined;
afterEach(async () => {
  await h?.close();
  await api?.close();
  h = api = undefined;
});

const MODEL = '6c0d1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const URL_DOC = 'https://example.com/a.pdf';

/** A session whose API is the hostile stand-in; `maxResponseBytes` keeps giant-body cases quick. */
async function hostile(client: Record<string, unknown> = {}, settings: Record<string, unknown> = {}): Promise<{ h: Harness; api: HostileApi }> {
  api = await startHostileApi();
  h = await startHarness({ client: { baseUrl: api.url, retry: { baseDelayMs: 1, maxRetries: 1 }, ...client }, settings });
  api.on('enqueue', (x) => sendJson(x.res, 202, job(x)));
  return { h, api };
}

/** What both forms of an answer cost: hosts show one or the other. */
function sizes(result: { content: unknown[]; structuredContent?: unknown }): { text: number; structured: number } {
  return { text: textOf(result as never).length, structured: JSON.stringify(result.structuredContent ?? null).length };
}

/** The server still answers a plain request. */
async function stillServing(session: Harness): Promise<void> {
  const listed = await session.mcp.listTools();
  expect(listed.tools.length).toBe(6);
}

function prototypeIsClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
  expect(({} as Record<string, unknown>).x).toBeUndefined();
}
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

describe('1. no key from outside reaches a prototype', () => {
  it('refuses field paths that name __proto__, constructor or prototype, and stays responsive', async () => {
    h = await startHarness();
    const done = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: await h.write('i.pdf', makeSampleInvoicePdf()) });
    const id = (done.structuredContent as { result: { inference_id: string } }).result.inference_id;
    for (const path of ['__proto__.x', '__proto__.isError', '__proto__.url', 'constructor.prototype.x', 'line_items.__proto__.y', 'prototype']) {
      const r = await h.call('get_inference_result', { inference_id: id, fields: [path] });
      expect(r.isError, path).toBe(true);
      expect(textOf(r)).toContain('is not a field name');
      prototypeIsClean();
    }
    expect((await h.call('get_inference_result', { inference_id: id, fields: ['invoice_number'] })).isError).toBeFalsy();
  });

  it('keeps prototype keys in the API\'s JSON as plain data', async () => {
    const { h, api } = await hostile();
    api.on('job', (x) => sendJson(x.res, 200, processedJob(x)));
    // Written as text: a JSON literal with "__proto__" keys, as an attacker would send it.
    api.on('result', (x) =>
      sendJson(
        x.res,
        200,
        JSON.stringify(inference({})).replace(
          '"fields":{}',
          '"fields":{"__proto__":{"value":"p"},"constructor":{"value":"c"},"box":{"fields":{"__proto__":{"value":"inner"},"isError":{"value":true}}},"list":{"items":[{"fields":{"__proto__":{"value":1}}}]}}',
        ),
      ),
    );
    const r = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC });
    expect(r.isError, textOf(r)).toBeFalsy();
    prototypeIsClean();
    const fields = (r.structuredContent as { result: { fields: Record<string, unknown> } }).result.fields;
    expect(fields.constructor).toBe('c');
    expect(JSON.stringify(fields.box)).toBe('{"__proto__":"inner","isError":true}');
    await stillServing(h);
  });

  it('takes model ids that name an object\'s machinery for unknown models', async () => {
    h = await startHarness({ settings: { models: { defaultModelId: undefined, aliases: { invoice: DEMO_MODELS.invoice } } } });
    for (const model_id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const r = await h.call('enqueue_document', { model_id, url: URL_DOC });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain(`Unknown model "${model_id}"`);
    }
  });

  it('keeps an alias named __proto__ in the configuration as an alias', () => {
    const command = parseCommand([], { MINDEE_MCP_MODELS: `__proto__=${MODEL},invoice=${MODEL}` });
    if (command.kind !== 'serve') throw new Error('expected serve');
    expect(Object.hasOwn(command.config.modelAliases, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(command.config.modelAliases)).toBe(Object.prototype);
    prototypeIsClean();
  });
});

describe('2. the key never leaves, whole or in pieces', () => {
  it('echoed into ids and names, it reaches no result, resource name or uri', async () => {
    const { h, api } = await hostile();
    api.on('job', (x) => sendJson(x.res, 200, processedJob(x, { filename: `${x.key}.pdf`, alias: x.key, result_url: `${x.origin}/v2/inferences/${x.id}` })));
    // One result names the key in its file, the other in its very id.
    api.on('result', (x) =>
      sendJson(x.res, 200, inference({ note: { value: `key ${x.key}` } }, { id: x.id === 'job-2' ? `inf-${x.key}` : 'inf-1', file: { name: `${x.key}.pdf`, alias: x.key, page_count: 1, mime_type: 'application/pdf' } })),
    );
    api.on('enqueue', (x) => sendJson(x.res, 202, job(x, { id: api.hits.enqueue === 1 ? 'job-1' : 'job-2' })));
    const r = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC });
    const r2 = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r2.isError, textOf(r2)).toBeFalsy();
    const listed = await h.mcp.listResources();
    // The result whose id held the key cannot be read back by that id, so it is not listed.
    expect(listed.resources.map((res) => res.uri)).toEqual(['mindee://inferences/inf-1']);
    expect(listed.resources[0]!.name).toContain('[redacted].pdf');
    const everything = JSON.stringify([r, r2, listed]);
    expect(everything).not.toContain(TEST_API_KEY.slice(0, 8));
    expect(everything).toContain('[redacted]');
  });

  it('a result cut to its budget leaves no leading piece of the key', async () => {
    const { h, api } = await hostile();
    api.on('job', (x) => sendJson(x.res, 200, processedJob(x)));
    // The key sits right where a 2 000-character answer is cut.
    api.on('result', (x) => sendJson(x.res, 200, inference(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, { value: `${'x'.repeat(30 + i)}${x.key}` }])))));
    for (const max_chars of [2000, 2100, 2600, 3333]) {
      const r = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC, max_chars });
      expect(JSON.stringify(r)).not.toContain(TEST_API_KEY.slice(0, 8));
    }
  });

  it('the redactor takes any leading piece of 8 or more characters for the key', () => {
    const redact = createRedactor([TEST_API_KEY]);
    expect(redact(`a ${TEST_API_KEY.slice(0, 8)}`)).toBe('a [redacted]');
    expect(redact(`a ${TEST_API_KEY.slice(0, 7)}`)).toBe(`a ${TEST_API_KEY.slice(0, 7)}`);
    expect(redact(`${TEST_API_KEY}${TEST_API_KEY}!`)).toBe('[redacted][redacted]!');
  });

  it('a configuration error does not print a key pasted in the wrong place', () => {
    expect(() => parseCommand([], { MINDEE_V2_API_KEY: TEST_API_KEY, MINDEE_MCP_MODELS: `invoice=${TEST_API_KEY}` })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(TEST_API_KEY.slice(0, 8)) }),
    );
    expect(() => parseCommand([], { MINDEE_MCP_MODELS: 'invoice=md_live_abcdefghijklmnop' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('abcdefgh') }),
    );
  });
});

describe('2b. the key never leaves, split by what a reader does not see (issue 16)', () => {
  /** The key with `sep` after every 3 characters. */
  const split = (sep: string) => TEST_API_KEY.match(/.{1,3}/g)!.join(sep);

  it.each([
    ['BEL', '\u0007'],
    ['DEL', '\u007f'],
    ['a C1 control', '\u0085'],
    ['an ANSI colour', '\u001b[31m'],
    ['a zero-width space', '\u200b'],
  ])('split by %s, it reaches no answer, resource, error, model list or log', async (_name, sep) => {
    const { h, api } = await hostile();
    const hidden = (x: { key: string }) => x.key.match(/.{1,3}/g)!.join(sep);
    api.on('job', (x) => sendJson(x.res, 200, processedJob(x, { filename: `${hidden(x)}.pdf`, alias: hidden(x) })));
    api.on('result', (x) =>
      sendJson(
        x.res,
        200,
        inference(
          // Whole but split, its tail alone, and its two halves in two fields.
          { note: { value: `key ${hidden(x)}` }, tail: { value: x.key.slice(-10) }, head: { value: x.key.slice(0, 24) }, rest: { value: x.key.slice(24) } },
          { file: { name: `\u001b]0;title\u0007${hidden(x)}\u001b[2J.pdf`, alias: hidden(x), page_count: 1, mime_type: 'application/pdf' } },
        ),
      ),
    );
    api.on('search', (x) =>
      sendJson(x.res, 200, { models: [{ id: MODEL, name: `model ${hidden(x)}`, model_type: 'extraction', webhooks: [] }], pagination: { page: 1, per_page: 50, total_items: 1, total_pages: 1 } }),
    );
    const r = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC });
    expect(r.isError, textOf(r)).toBeFalsy();
    const fields = await h.call('get_inference_result', { inference_id: 'inf-1', detail: 'full' });
    const models = await h.call('search_models', {});
    expect(models.isError, textOf(models)).toBeFalsy();
    const listed = await h.mcp.listResources();
    const read = await h.mcp.readResource({ uri: 'mindee://inferences/inf-1' });
    api.on('enqueue', (x) => sendJson(x.res, 422, { status: 422, title: `Invalid ${hidden(x)}`, detail: `bad key ${hidden(x)}`, code: '422-001', errors: [{ pointer: hidden(x), detail: hidden(x) }] }));
    const failed = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC });
    expect(failed.isError).toBe(true);
    api.on('result', (x) => sendJson(x.res, 404, { status: 404, title: 'Gone', detail: `no ${hidden(x)}`, code: '404-001', errors: [] }));
    await expect(h.mcp.readResource({ uri: 'mindee://inferences/inf-2' })).rejects.toThrow(/Gone|not found|is known to you/i);
    const everything = JSON.stringify([r, fields, models, listed, read, failed]) + h.logs.join('\n');
    expect(findSecret(everything)).toBeNull();
    expect(everything).toContain('[redacted]');
    // The file name reaches the resource list without its terminal escapes.
    expect(listed.resources[0]!.name).toBe('Mindee result inf-1 ([redacted].pdf)');
    expect(split(sep)).not.toBe(TEST_API_KEY);
  });
});

describe('2c. an MCP task\'s status text is bounded and clean (issue 16)', () => {
  it('a 300 000-character job status with terminal escapes and the split key', async () => {
    const { h, api } = await hostile({}, { heartbeatMs: 10 });
    const status = (x: { key: string }) => `\u001b]0;pwned\u0007\u001b[31m${'P'.repeat(300_000)} ${x.key.match(/.{1,3}/g)!.join('\u0007')}`;
    api.on('job', (x) => sendJson(x.res, 200, job(x, { status: status(x) })));
    const tasks: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await h.mcp.request({ method: 'tools/call', params: { name: 'enqueue_document', arguments: { model_id: MODEL, url: URL_DOC, max_wait_seconds: 30 }, task: {} } }, CreateTaskResultSchema);
      tasks.push(created.task.taskId);
    }
    await vi.waitFor(async () => {
      for (const id of tasks) expect((await h.mcp.experimental.tasks.getTask(id)).statusMessage).toContain('PPPP');
    }, { timeout: 10_000, interval: 20 });
    const listed = await h.mcp.experimental.tasks.listTasks();
    const text = JSON.stringify(listed);
    expect(listed.tasks).toHaveLength(5);
    for (const task of listed.tasks) expect(task.statusMessage!.length).toBeLessThanOrEqual(600);
    expect(text.length).toBeLessThan(5 * 1200);
    expect(text).not.toMatch(/\\u001b|\\u0007|pwned/);
    expect(findSecret(text)).toBeNull();
    for (const id of tasks) await h.mcp.experimental.tasks.cancelTask(id);
  });
});

describe('3. every answer stays within its budget', () => {
  it('a 500 000-character alias echoed by the API', async () => {
    const { h, api } = await hostile();
    const alias = 'A'.repeat(500_000);
    api.on('enqueue', (x) => sendJson(x.res, 202, job(x, { alias })));
    api.on('job', (x) => sendJson(x.res, 200, processedJob(x, { alias })));
    api.on('result', (x) => sendJson(x.res, 200, inference({ total: { value: 1 } }, { file: { name: 'a.pdf', alias, page_count: 1, mime_type: 'application/pdf' } })));
    const r = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC, max_chars: 2000 });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(sizes(r).text).toBeLessThanOrEqual(2000);
    expect(sizes(r).structured).toBeLessThanOrEqual(2000);
  });

  it('answers that are only a job, whatever its file name holds', async () => {
    const { h, api } = await hostile({}, { maxResultChars: 5000 });
    const filename = 'f'.repeat(3 * 1024 * 1024);
    api.on('enqueue', (x) => sendJson(x.res, 202, job(x, { filename })));
    api.on('job', (x) =>
      sendJson(x.res, 200, job(x, { filename, status: 'Failed', error: { status: 422, title: 't'.repeat(9000), detail: 'd'.repeat(90_000), code: '422-001', errors: Array.from({ length: 500 }, () => ({ pointer: '#/x', detail: 'e'.repeat(5000) })) } })),
    );
    const queued = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC, wait: false });
    const status = await h.call('get_job_status', { job_id: 'job-1' });
    const failed = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC });
    for (const r of [queued, status, failed]) {
      expect(sizes(r).text).toBeLessThanOrEqual(5000);
      expect(sizes(r).structured).toBeLessThanOrEqual(5000);
    }
    expect(failed.isError).toBe(true);
  });

  it('a batch of many long rows', async () => {
    h = await startHarness();
    const urls = Array.from({ length: 120 }, (_, i) => `https://example.com/${'a'.repeat(1500)}/${i}.pdf`);
    const r = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, urls, max_chars: 3000 });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(sizes(r).text).toBeLessThanOrEqual(3000);
    expect(sizes(r).structured).toBeLessThanOrEqual(3000);
    const sc = r.structuredContent as { counts: { processed: number }; left_out: string };
    expect(sc.counts.processed).toBe(120);
    expect(sc.left_out).toMatch(/row\(s\) after the first \d+ are left out/);
  });
});

describe('4. huge, endless and deep answers', () => {
  it('an endless body is cut at the bound, with the bound named, and the server keeps serving', async () => {
    const { h, api } = await hostile({ maxResponseBytes: 1024 * 1024 });
    api.on('job', (x) => endless(x.res, '{"job":{"id":"job-1","status":"Processing","filename":"', 'x'.repeat(64 * 1024)));
    const r = await h.call('get_job_status', { job_id: 'job-1' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/larger than the 1 MB this server reads/);
    await stillServing(h);
  });

  it('a declared 2.6 GB body is refused before it is read', async () => {
    const { h, api } = await hostile();
    api.on('job', (x) => {
      x.res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Math.round(2.6 * 1024 ** 3)) });
      x.res.write('{"job":');
    });
    const r = await h.call('get_job_status', { job_id: 'job-1' });
    expect(textOf(r)).toMatch(/larger than the 64 MB this server reads/);
  });

  it('JSON nested 100 000 deep is refused, not a stack overflow', async () => {
    const { h, api } = await hostile();
    api.on('job', (x) => sendJson(x.res, 200, `{"job":${'['.repeat(100_000)}${']'.repeat(100_000)}}`));
    const r = await h.call('get_job_status', { job_id: 'job-1' });
    expect(textOf(r)).toMatch(/nests deeper than \d+ levels/);
    expect(textOf(r)).not.toContain('internal error');
  });

  it('a result of a million fields is read up to a bound, and answered within budget', async () => {
    const { h, api } = await hostile();
    const body = `{"inference":{"id":"inf-1","result":{"fields":{${Array.from({ length: 1_000_000 }, (_, i) => `"f${i}":{"value":${i}}`).join(',')}}}}}`;
    api.on('result', (x) => sendJson(x.res, 200, body));
    const r = await h.call('get_inference_result', { inference_id: 'inf-1', max_chars: 4000 });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(sizes(r).text).toBeLessThanOrEqual(4000);
    expect(sizes(r).structured).toBeLessThanOrEqual(4000);
    expect(textOf(r)).toMatch(/more than 50000 fields/);
  }, 60_000);
});

describe('5. outside text is quoted with a bound', () => {
  it('a 422 with a 15 MB detail does not disconnect the client', async () => {
    const { h, api } = await hostile();
    api.on('enqueue', (x) => sendJson(x.res, 422, { status: 422, title: 'Invalid', detail: 'd'.repeat(15 * 1024 * 1024), code: '422-001', errors: [] }));
    const r = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC });
    expect(r.isError).toBe(true);
    expect(textOf(r).length).toBeLessThan(5000);
    await stillServing(h);
  });

  it('a 9 MB model_id, pages or alias argument is not echoed back whole', async () => {
    h = await startHarness();
    const huge = 'm'.repeat(9 * 1024 * 1024);
    const badModel = await h.call('enqueue_document', { model_id: huge, url: URL_DOC });
    expect(textOf(badModel).length).toBeLessThan(2000);
    const done = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, url: URL_DOC, alias: huge });
    expect(sizes(done).text).toBeLessThanOrEqual(20_000);
    expect(sizes(done).structured).toBeLessThanOrEqual(20_000);
    const id = (done.structuredContent as { result: { inference_id: string } }).result.inference_id;
    const badPages = await h.call('get_inference_result', { inference_id: id, pages: `1-${'9'.repeat(9 * 1024 * 1024)}` });
    expect(badPages.isError).toBe(true);
    expect(textOf(badPages).length).toBeLessThan(2000);
  });
});

describe('waits and odd arguments', () => {
  it('max_wait_seconds bounds the whole call, however long the API asks to wait', async () => {
    const { h, api } = await hostile({ retry: { baseDelayMs: 1, maxRetries: 4, maxDelayMs: 60_000 } });
    api.on('enqueue', (x) => sendJson(x.res, 429, { status: 429, title: 'Too many', detail: 'slow down', code: '429-001', errors: [] }, { 'retry-after': '30' }));
    const r = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC, max_wait_seconds: 1 });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/rate limit|HTTP 429/);
  });

  it('a stalled enqueue ends with the call\'s wait', async () => {
    const { h, api } = await hostile();
    api.on('enqueue', () => {
      // never answers
    });
    const r = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC, max_wait_seconds: 1 });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/did not answer in time|No time was left/);
    expect(textOf(r)).toMatch(/may or may not have received the document|Nothing was sent/);
  });

  it('get_job_status ends with its wait against an API that never finishes the answer', async () => {
    const { h, api } = await hostile();
    api.on('job', (x) => {
      x.res.writeHead(200, { 'content-type': 'application/json' });
      x.res.write('{"job":');
    });
    const r = await h.call('get_job_status', { job_id: 'job-1', wait_seconds: 1 });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/did not answer in time|No time was left/);
  });

  it('page numbers past any document get a clear error, not a lost result', async () => {
    h = await startHarness();
    const done = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: await h.write('i.pdf', makeSampleInvoicePdf()), raw_text: true });
    const id = (done.structuredContent as { result: { inference_id: string } }).result.inference_id;
    for (const pages of ['1e400', '9'.repeat(400), `1-${'9'.repeat(400)}`, '100001']) {
      const r = await h.call('get_inference_result', { inference_id: id, pages });
      expect(r.isError, pages).toBe(true);
      expect(textOf(r)).toContain('Invalid page window');
    }
  });

  it('terminal control sequences in a result reach neither the answer nor the log', async () => {
    const { h, api } = await hostile();
    api.on('job', (x) => sendJson(x.res, 200, processedJob(x, { filename: 'a\u001b[2Jb.pdf' })));
    api.on('result', (x) => sendJson(x.res, 200, inference({ title: { value: '\u001b]0;pwned\u0007\u001b[31mred\u001b[0m\u0000\u009b' } })));
    const r = await h.call('enqueue_document', { model_id: MODEL, url: URL_DOC });
    expect(r.isError, textOf(r)).toBeFalsy();
    const all = JSON.stringify(r) + h.logs.join('\n');
    // Every C0/C1 control but newline and tab, raw or escaped in JSON.
    expect(all).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\\u001b|\\u0007|\\u0000/);
    expect(textOf(r)).toContain('title: red');
  });
});
