import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormData } from 'undici';
import { DEMO_MODELS, DEMO_WEBHOOKS, EMULATOR_API_KEY, demoModels, startEmulator } from '../src/index.js';
import type { Emulator } from '../src/index.js';
import { makeImageStub, makePdf, makePng, makeSampleInvoicePdf } from '../src/sample-documents.js';
import { call, enqueue, form } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ processingMs: Infinity, maxUploadBytes: 64 * 1024 });
});
afterAll(() => emu.close());

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  json: any;
  /** Resolves when the emulator has closed the connection. */
  closed: Promise<void>;
}

/**
 * One POST over a bare socket, for bodies an HTTP client would not send: 'stop' sends the headers
 * only, 'endless' sends chunks until the answer arrives. Resolves with the first whole answer.
 */
function rawRequest(emu: Emulator, path: string, headers: string[], body: 'stop' | 'endless'): Promise<RawAnswer> {
  const { hostname, port } = new URL(emu.url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined); // writes after the emulator closed: expected
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let answered = false;
  socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${headers.join('\r\n')}\r\n\r\n`);
  if (body === 'endless') {
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x41), Buffer.from('\r\n')]);
    const pump = () => {
      while (!answered && !socket.destroyed && socket.write(chunk));
    };
    socket.on('drain', pump);
    pump();
  }
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      answered = true;
      received = Buffer.concat([received, data]);
      const text = received.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
      const headerMap = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headerMap['content-length']);
      if (received.length < end + 4 + length) return;
      const json = JSON.parse(received.subarray(end + 4, end + 4 + length).toString('utf8'));
      resolve({ status: Number(statusLine.split(' ')[1]), headers: headerMap, json, closed });
    });
    socket.once('close', () => reject(new Error(`closed without a whole answer: ${received.toString('latin1').slice(0, 200)}`)));
  });
}

describe('enqueue', () => {
  it('answers 202 with a job carrying every key, on the original and the per-product route', async () => {
    for (const route of ['/v2/inferences/enqueue', '/v2/products/extraction/enqueue']) {
      const res = await enqueue(emu, { route, modelId: DEMO_MODELS.invoice, doc: makeSampleInvoicePdf(), filename: 'inv.pdf', fields: { alias: 'my-alias' } });
      expect(res.status).toBe(202);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.headers['x-mindee-emulator']).toBe('1');
      const job = res.json.job;
      expect(Object.keys(job).sort()).toEqual(
        ['alias', 'completed_at', 'created_at', 'error', 'filename', 'id', 'model_id', 'polling_url', 'result_url', 'status', 'webhooks'].sort(),
      );
      expect(job.id).toMatch(UUID);
      expect(job).toMatchObject({
        model_id: DEMO_MODELS.invoice,
        filename: 'inv.pdf',
        alias: 'my-alias',
        completed_at: null,
        status: 'Processing',
        result_url: null,
        webhooks: [],
        error: null,
      });
      expect(job.created_at).toMatch(TIMESTAMP);
      expect(job.polling_url).toBe(`${emu.url}/v2/jobs/${job.id}`);
    }
  });

  it('accepts every supported type, sniffed from the content rather than the declared name', async () => {
    const docs = [makePng(), makeImageStub('jpeg'), makeImageStub('webp'), makeImageStub('tiff'), makeImageStub('heic')];
    for (const doc of docs) {
      const res = await enqueue(emu, { modelId: DEMO_MODELS.ocr, doc, filename: 'misleading.txt', route: '/v2/products/ocr/enqueue' });
      expect(res.status, res.text).toBe(202);
    }
  });

  it('accepts url and file_base64 inputs, with null alias when none is sent', async () => {
    const byUrl = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: { url: 'https://example.com/files/scan%201.pdf' } });
    expect(byUrl.status).toBe(202);
    expect(byUrl.json.job).toMatchObject({ filename: 'scan 1.pdf', alias: null });
    const b64 = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: { base64: makePng().toString('base64') }, fields: { filename: 'p.png' } });
    expect(b64.status).toBe(202);
    expect(b64.json.job.filename).toBe('p.png');
  });

  it('accepts webhook_ids comma-joined and repeated', async () => {
    const joined = await enqueue(emu, {
      modelId: DEMO_MODELS.invoice,
      doc: makePng(),
      fields: { webhook_ids: `${DEMO_WEBHOOKS.invoiceSuccess},${DEMO_WEBHOOKS.invoiceAudit}` },
    });
    expect(joined.status).toBe(202);
    const repeated = await enqueue(emu, {
      modelId: DEMO_MODELS.invoice,
      doc: makePng(),
      fields: { webhook_ids: [DEMO_WEBHOOKS.invoiceSuccess, DEMO_WEBHOOKS.invoiceAudit] },
    });
    expect(repeated.status).toBe(202);
    const unknown = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: makePng(), fields: { webhook_ids: DEMO_MODELS.receipt } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.errors[0]).toMatchObject({ pointer: '#/webhook_ids' });
    const malformed = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: makePng(), fields: { webhook_ids: 'abc,def' } });
    expect(malformed.status).toBe(422);
    expect(malformed.json.errors).toHaveLength(2);
  });
});

describe('authentication', () => {
  it('refuses a missing key with 401-008 before reading anything', async () => {
    const res = await enqueue(emu, { modelId: 'not-even-a-uuid' }, null);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ status: 401, detail: 'Credentials are required.', title: 'Missing credentials', code: '401-008', errors: [] });
    expect((await call(emu, 'GET', '/v2/jobs/whatever', { key: null })).status).toBe(401);
  });

  it('refuses a wrong key and a Bearer prefix with 401-001', async () => {
    const expected = { status: 401, detail: 'The provided API key is invalid.', title: 'Invalid API key', code: '401-001', errors: [] };
    const wrong = await call(emu, 'GET', '/v2/search/models', { key: 'md_wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual(expected);
    const bearer = await call(emu, 'GET', '/v2/search/models', { key: `Bearer ${EMULATOR_API_KEY}` });
    expect(bearer.status).toBe(401);
    expect(bearer.json).toEqual(expected);
  });

  it('records whether each request was authorized', async () => {
    await call(emu, 'GET', '/v2/search/models', { key: 'md_nope' });
    const last = emu.requests[emu.requests.length - 1];
    expect(last).toMatchObject({ method: 'GET', path: '/v2/search/models', status: 401, authorized: false });
  });
});

describe('form validation', () => {
  const pdf = makeSampleInvoicePdf();

  it('422-001 with a pointer for a model_id that is not a UUID', async () => {
    const res = await enqueue(emu, { modelId: 'invoice', doc: pdf });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ status: 422, code: '422-001', title: 'Invalid fields in form' });
    expect(res.json.errors).toEqual([{ pointer: '#/model_id', detail: 'model_id must be a valid UUID format' }]);
  });

  it('404 for an unknown model, 422 for a model of another product', async () => {
    const unknown = await enqueue(emu, { modelId: '00000000-0000-4000-8000-000000000000', doc: pdf });
    expect(unknown.status).toBe(404);
    expect(unknown.json.errors[0].pointer).toBe('#/model_id');
    const wrong = await enqueue(emu, { modelId: DEMO_MODELS.ocr, doc: pdf });
    expect(wrong.status).toBe(422);
    expect(wrong.json.errors[0]).toMatchObject({ pointer: '#/model_id' });
    expect(wrong.json.errors[0].detail).toContain('/v2/products/ocr/enqueue');
  });

  it('422 naming each boolean option that is not true/false', async () => {
    const res = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: pdf, fields: { rag: 'yes', polygon: '1', confidence: 'false' } });
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['#/rag', '#/polygon']);
  });

  it('402 naming an option the account may not use with a model, and accepts the enqueue without it', async () => {
    const models = demoModels().map((m) => (m.id === DEMO_MODELS.invoice ? { ...m, refusedOptions: ['confidence' as const] } : m));
    const plan = await startEmulator({ processingMs: Infinity, models });
    try {
      const refused = await enqueue(plan, { modelId: DEMO_MODELS.invoice, doc: pdf, fields: { confidence: 'true', polygon: 'true' } });
      expect(refused.status).toBe(402);
      expect(refused.json).toMatchObject({ status: 402, code: '402-001', errors: [{ pointer: '#/confidence' }] });
      expect(refused.json.detail).toContain('confidence');
      expect((await enqueue(plan, { modelId: DEMO_MODELS.invoice, doc: pdf, fields: { confidence: 'false', polygon: 'true' } })).status).toBe(202);
      expect((await enqueue(plan, { modelId: DEMO_MODELS.invoice, doc: pdf })).status).toBe(202);
    } finally {
      await plan.close();
    }
  });

  it('422 for extraction options sent to a utility product, naming them', async () => {
    const res = await enqueue(emu, {
      route: '/v2/products/classification/enqueue',
      modelId: DEMO_MODELS.classification,
      doc: pdf,
      fields: { raw_text: 'true', text_context: 'hello' },
    });
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['#/raw_text', '#/text_context']);
    expect(res.json.errors[0].detail).toContain('classification');
  });

  it('422 for a data_schema that is not valid, pointing into it', async () => {
    const cases: [string, string][] = [
      ['{not json', '#/data_schema'],
      ['{"fields":[]}', '#/data_schema/replace'],
      ['{"replace":{"fields":[]}}', '#/data_schema/replace/fields'],
      ['{"replace":{"fields":[{"name":"a b","type":"string"}]}}', '#/data_schema/replace/fields/0/name'],
      ['{"replace":{"fields":[{"name":"a","type":"colour"}]}}', '#/data_schema/replace/fields/0/type'],
      ['{"replace":{"fields":[{"name":"a","type":"nested_object","nested_fields":[]}]}}', '#/data_schema/replace/fields/0/nested_fields'],
    ];
    for (const [schema, pointer] of cases) {
      const res = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: pdf, fields: { data_schema: schema } });
      expect(res.status, schema).toBe(422);
      expect(res.json.errors[0].pointer, schema).toBe(pointer);
    }
  });

  it('400 when no input is sent, 422 when several are', async () => {
    const none = await enqueue(emu, { modelId: DEMO_MODELS.invoice });
    expect(none.status).toBe(400);
    expect(none.json.code).toMatch(/^400-\d{3}$/);
    const fd = form({ modelId: DEMO_MODELS.invoice, doc: pdf, fields: { url: 'https://example.com/a.pdf' } });
    const several = await call(emu, 'POST', '/v2/products/extraction/enqueue', { body: fd });
    expect(several.status).toBe(422);
    expect(several.json.errors[0].detail).toContain('file, url');
  });

  it('422 for a url that is not https or too long', async () => {
    const http = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: { url: 'http://example.com/a.pdf' } });
    expect(http.status).toBe(422);
    expect(http.json.errors[0].pointer).toBe('#/url');
    const long = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: { url: `https://example.com/${'a'.repeat(2100)}` } });
    expect(long.status).toBe(422);
  });

  it('422 naming what an unsupported file is', async () => {
    const text = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: Buffer.from('just some words\n'.repeat(20)), filename: 'fake.pdf' });
    expect(text.status).toBe(422);
    expect(text.json.errors[0].pointer).toBe('#/file');
    expect(text.json.detail).toContain('a text file');
    const zip = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100)]) });
    expect(zip.json.detail).toContain('ZIP');
  });

  it('422 for an empty file and for a password-protected PDF', async () => {
    const empty = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: Buffer.alloc(0) });
    expect(empty.status).toBe(422);
    expect(empty.json.detail).toContain('empty');
    const encrypted = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: makePdf({ pages: [['secret']], encrypted: true }) });
    expect(encrypted.status).toBe(422);
    expect(encrypted.json.detail).toContain('password-protected PDF');
  });

  it('413 at once for a body whose Content-Length is over the limit, before reading any of it, key or not', async () => {
    for (const key of [EMULATOR_API_KEY, null]) {
      const headers = [`Content-Length: ${1024 ** 4}`, 'Content-Type: multipart/form-data; boundary=x', ...(key ? [`Authorization: ${key}`] : [])];
      const answer = await rawRequest(emu, '/v2/products/extraction/enqueue', headers, 'stop');
      expect(answer.status).toBe(413);
      expect(answer.headers.connection).toBe('close');
      expect(answer.json).toMatchObject({ status: 413, code: '413-001', title: 'File too large', errors: [{ pointer: '#/file' }] });
      expect(answer.json.detail).toMatch(/declares a body of 1 TB \(Content-Length\), over the 1\.1 MB .* limited to 64 KB/);
      await answer.closed;
    }
  });

  it('413 for an endless chunked upload once past the limit, closing the connection instead of reading on', async () => {
    const headers = ['Transfer-Encoding: chunked', 'Content-Type: multipart/form-data; boundary=x', `Authorization: ${EMULATOR_API_KEY}`];
    const answer = await rawRequest(emu, '/v2/products/extraction/enqueue', headers, 'endless');
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    expect(answer.json.code).toBe('413-001');
    await answer.closed;
    expect((await call(emu, 'GET', '/v2/search/models')).status).toBe(200);
  });

  it('413 for a document over the size limit, read to the end so the client gets the answer', async () => {
    const big = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: Buffer.concat([makePng(), Buffer.alloc(65 * 1024)]) });
    expect(big.status).toBe(413);
    const huge = await enqueue(emu, { modelId: DEMO_MODELS.invoice, doc: Buffer.concat([makePng(), Buffer.alloc(300 * 1024)]) });
    expect(huge.status).toBe(413);
    // The connection is still usable afterwards.
    expect((await call(emu, 'GET', '/v2/search/models')).status).toBe(200);
  });

  it('400 for a body that is not a form or is broken, without crashing', async () => {
    const json = await call(emu, 'POST', '/v2/products/extraction/enqueue', {
      body: '{"model_id":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(400);
    const broken = await call(emu, 'POST', '/v2/products/extraction/enqueue', {
      body: '--zzz\r\nContent-Disposition: form-data; name="model_id"\r\n\r\nunterminated',
      headers: { 'content-type': 'multipart/form-data; boundary=zzz' },
    });
    expect(broken.status).toBe(400);
    expect((await call(emu, 'GET', '/v2/search/models')).status).toBe(200);
  });

  it('accepts a urlencoded form for url inputs', async () => {
    const body = new URLSearchParams({ model_id: DEMO_MODELS.invoice, url: 'https://example.com/x.png' }).toString();
    const res = await call(emu, 'POST', '/v2/inferences/enqueue', { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(202);
  });
});

describe('routing', () => {
  it('answers 404 problems for unknown routes and ids, 405 for a wrong method', async () => {
    const unknown = await call(emu, 'GET', '/v2/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ status: 404, code: '404-001' });
    expect((await call(emu, 'GET', '/v2/products/invoices/results/abc')).status).toBe(404);
    expect((await call(emu, 'GET', '/v2/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await call(emu, 'GET', '/v2/inferences/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await call(emu, 'GET', '/', { key: null })).status).toBe(404);
    const wrongMethod = await call(emu, 'GET', '/v2/products/extraction/enqueue');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
  });

  it('checks the key before routing on /v2', async () => {
    expect((await call(emu, 'GET', '/v2/nothing-here', { key: null })).status).toBe(401);
  });

  it('rejects nothing it should accept: a FormData built by hand with a Blob file', async () => {
    const fd = new FormData();
    fd.append('model_id', DEMO_MODELS.crop);
    fd.append('file', new Blob([new Uint8Array(makePng())], { type: 'text/plain' }), 'x.png');
    fd.append('alias', '');
    const res = await call(emu, 'POST', '/v2/products/crop/enqueue', { body: fd });
    expect(res.status).toBe(202);
    expect(res.json.job.alias).toBeNull();
  });
});
