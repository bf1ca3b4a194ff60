import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELS, DEMO_WEBHOOKS, startEmulator } from '../src/index.js';
import type { Emulator, EmulatorModel, WebhookEvent } from '../src/index.js';
import { makeSampleInvoicePdf } from '../src/sample-documents.js';
import { call, enqueue, finished } from './helpers.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const SECRET = 'whsec_test_secret';
const MODEL = '3f6b2a1c-8d4e-4f5a-9b6c-7d8e9f0a1b2c';
const FAILING = '4a7c3b2d-9e5f-4a6b-8c7d-8e9f0a1b2c3d';
const HOOK_OK = '5b8d4c3e-0f6a-4b7c-9d8e-9f0a1b2c3d4e';
const HOOK_DOWN = '6c9e5d4f-1a7b-4c8d-8e9f-0a1b2c3d4e5f';
const HOOK_500 = '7d0f6e5a-2b8c-4d9e-9f0a-1b2c3d4e5f60';

let receiver: Server;
let receiverUrl = '';
const received: Received[] = [];
let emu: Emulator;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = req.url === '/broken' ? 500 : 204;
      res.end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // A port nothing listens on: bind one, note it, close it.
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));

  const webhooks = [
    { id: HOOK_OK, name: 'Receiver', url: `${receiverUrl}/hooks/mindee` },
    { id: HOOK_DOWN, name: 'Down', url: `http://127.0.0.1:${deadPort}/nothing` },
    { id: HOOK_500, name: 'Broken', url: `${receiverUrl}/broken` },
  ];
  const models: EmulatorModel[] = [
    { id: MODEL, name: 'Invoice with webhooks (simulated)', modelType: 'extraction', webhooks },
    { id: FAILING, name: 'Failing with webhooks (simulated)', modelType: 'extraction', webhooks, failWith: { status: 500, code: '500-012', title: 'Inference failed', detail: 'boom' } },
  ];
  emu = await startEmulator({ processingMs: 0, webhookSecret: SECRET, models });
});
afterEach(() => {
  received.length = 0;
});
afterAll(async () => {
  await emu.close();
  await new Promise((r) => receiver.close(r));
});

function webhookEvents(count: number): Promise<WebhookEvent[]> {
  return new Promise((resolve) => {
    const events: WebhookEvent[] = [];
    const listener = (e: WebhookEvent) => {
      events.push(e);
      if (events.length === count) {
        emu.off('webhook', listener);
        resolve(events);
      }
    };
    emu.on('webhook', listener);
  });
}

const sign = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');

describe('webhooks', () => {
  it('posts the result, compact and signed, to each webhook picked, and records the outcome in the job', async () => {
    const events = webhookEvents(1);
    const created = await enqueue(emu, { modelId: MODEL, doc: makeSampleInvoicePdf(), fields: { webhook_ids: HOOK_OK, alias: 'hooked' } });
    expect(created.status).toBe(202);
    const enqueuedAt = created.json.job.created_at;
    expect(created.json.job.webhooks).toEqual([{ id: HOOK_OK, created_at: enqueuedAt, status: 'Processing', error: null }]);
    const [event] = await events;
    expect(event).toMatchObject({ jobId: created.json.job.id, webhookId: HOOK_OK, status: 'Processed', httpStatus: 204, error: null });

    expect(received).toHaveLength(1);
    const hit = received[0] as Received;
    expect(hit.path).toBe('/hooks/mindee');
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['x-signature']).toBe(sign(hit.body));
    expect(hit.body).not.toMatch(/[\r\n]/);
    expect(hit.body).toBe(event?.body);

    const job = await call(emu, 'GET', `/v2/jobs/${created.json.job.id}?redirect=false`);
    expect(job.json.job.webhooks).toEqual([{ id: HOOK_OK, created_at: enqueuedAt, status: 'Processed', error: null }]);
    const result = await call(emu, 'GET', job.json.job.result_url);
    expect(JSON.parse(hit.body)).toEqual(result.json);
    expect(result.json.inference.file.alias).toBe('hooked');
  });

  it('marks unreachable and failing receivers Failed without disturbing anything', async () => {
    const events = webhookEvents(3);
    const created = await enqueue(emu, { modelId: MODEL, doc: makeSampleInvoicePdf(), fields: { webhook_ids: [HOOK_DOWN, HOOK_500, HOOK_OK] } });
    const byId = new Map((await events).map((e) => [e.webhookId, e]));
    expect(byId.get(HOOK_OK)?.status).toBe('Processed');
    expect(byId.get(HOOK_500)).toMatchObject({ status: 'Failed', httpStatus: 500 });
    expect(byId.get(HOOK_500)?.error?.detail).toContain('HTTP 500');
    expect(byId.get(HOOK_DOWN)).toMatchObject({ status: 'Failed', httpStatus: null });
    const job = emu.job(created.json.job.id)?.job;
    // Listed in the order the form named them; each error has Mindee's four keys.
    expect(job?.webhooks.map((w) => [w.id, w.status])).toEqual([
      [HOOK_DOWN, 'Failed'],
      [HOOK_500, 'Failed'],
      [HOOK_OK, 'Processed'],
    ]);
    expect(job?.webhooks[0]?.error).toEqual({ status: 502, title: 'Webhook receiver unreachable', code: '502-102', detail: expect.stringMatching(/^The receiver could not be reached: /) });
    expect(job?.webhooks[1]?.error).toEqual({ status: 500, title: 'Webhook refused by the receiver', code: '500-101', detail: 'The receiver answered HTTP 500.' });
    expect(job?.webhooks[2]?.error).toBeNull();
    // As a client reads it: GET /v2/jobs/{id}.
    const polled = await call(emu, 'GET', `/v2/jobs/${created.json.job.id}`);
    for (const hook of polled.json.job.webhooks.slice(0, 2)) expectMindeeError(hook.error);
    expect((await call(emu, 'GET', '/v2/search/models')).status).toBe(200);
  });

  it('posts the failure payload when the job fails', async () => {
    const events = webhookEvents(1);
    const created = await enqueue(emu, { modelId: FAILING, doc: makeSampleInvoicePdf(), filename: 'f.pdf', fields: { webhook_ids: HOOK_OK, alias: 'al' } });
    const job = await finished(emu, created.json.job.id);
    expect(job.status).toBe('Failed');
    await events;
    const hit = received[0] as Received;
    expect(hit.headers['x-signature']).toBe(sign(hit.body));
    const payload = JSON.parse(hit.body);
    expect(Object.keys(payload).sort()).toEqual(['created_at', 'error', 'file_alias', 'file_name', 'inference_id', 'model_id']);
    expect(payload).toMatchObject({ model_id: FAILING, file_name: 'f.pdf', file_alias: 'al', error: { status: 500, code: '500-012', detail: 'boom' } });
    expectMindeeError(payload.error);
    expectMindeeError((await call(emu, 'GET', `/v2/jobs/${created.json.job.id}`)).json.job.error);
    expect(payload.inference_id).not.toBe(job.id);
  });

  it('lists each requested webhook as Processing from enqueue until its delivery ends', async () => {
    const slow = await startEmulator({ processingMs: Infinity, webhookSecret: SECRET, models: emu.models.slice() });
    try {
      const created = await enqueue(slow, { modelId: MODEL, doc: makeSampleInvoicePdf(), fields: { webhook_ids: `${HOOK_OK},${HOOK_500}` } });
      const processing = (id: string) => ({ id, created_at: created.json.job.created_at, status: 'Processing', error: null });
      expect(created.json.job.webhooks).toEqual([processing(HOOK_OK), processing(HOOK_500)]);
      const polled = await call(slow, 'GET', `/v2/jobs/${created.json.job.id}`);
      expect(polled.json.job.webhooks).toEqual([processing(HOOK_OK), processing(HOOK_500)]);
      const delivered = new Promise<void>((resolve) => {
        let seen = 0;
        slow.on('webhook', () => {
          seen += 1;
          if (seen === 2) resolve();
        });
      });
      slow.completeJob(created.json.job.id);
      // Finished, but the deliveries are still under way.
      expect(slow.job(created.json.job.id)?.job.webhooks.map((w) => w.status)).toEqual(['Processing', 'Processing']);
      await delivered;
      expect(slow.job(created.json.job.id)?.job.webhooks.map((w) => w.status)).toEqual(['Processed', 'Failed']);
    } finally {
      await slow.close();
    }
  });

  it('webhookUrl points the demo models\' webhooks at a receiver', async () => {
    const demo = await startEmulator({ processingMs: 0, webhookSecret: SECRET, webhookUrl: `${receiverUrl}/demo` });
    try {
      const models = await call(demo, 'GET', '/v2/search/models?name=invoice&model_type=extraction');
      const invoice = models.json.models.find((m: { id: string }) => m.id === DEMO_MODELS.invoice);
      expect(invoice.webhooks.map((w: { url: string }) => w.url)).toEqual([`${receiverUrl}/demo`, `${receiverUrl}/demo`]);
      const delivered = once(demo, 'webhook') as Promise<[WebhookEvent]>;
      await enqueue(demo, { modelId: DEMO_MODELS.invoice, doc: makeSampleInvoicePdf(), fields: { webhook_ids: DEMO_WEBHOOKS.invoiceSuccess } });
      const [event] = await delivered;
      expect(event).toMatchObject({ webhookId: DEMO_WEBHOOKS.invoiceSuccess, url: `${receiverUrl}/demo`, status: 'Processed' });
      expect(received.map((r) => r.path)).toEqual(['/demo']);
      expect(received[0]?.headers['x-signature']).toBe(sign(received[0]?.body ?? ''));
    } finally {
      await demo.close();
    }
    await expect(startEmulator({ webhookUrl: 'ftp://receiver.example/' })).rejects.toThrow(/webhookUrl must be an http\(s\) URL/);
  });

  it('sends nothing when no webhook_ids are given', async () => {
    const created = await enqueue(emu, { modelId: MODEL, doc: makeSampleInvoicePdf() });
    await finished(emu, created.json.job.id);
    expect(received).toHaveLength(0);
    expect(emu.job(created.json.job.id)?.job.webhooks).toEqual([]);
  });
});

/**
 * Every error object of a job or a webhook has the four keys the official SDKs read (the Python
 * SDK reads `title` and `code` as well as `status` and `detail`, and fails without them).
 */
function expectMindeeError(error: unknown): void {
  expect(error).toMatchObject({ status: expect.any(Number), title: expect.stringMatching(/\S/), code: expect.stringMatching(/^\d{3}-\d{3}$/), detail: expect.stringMatching(/\S/) });
}
