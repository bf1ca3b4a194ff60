import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import type { Emulator, EmulatorModel, WebhookEvent } from '../../src/emulator/index.js';
import { makeSampleInvoicePdf } from '../../src/emulator/sample-documents.js';
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
    expect(job.json.job.webhooks).toEqual([{ id: HOOK_OK, created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), status: 'Processed', error: null }]);
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
    expect(job?.webhooks.map((w) => w.status).sort()).toEqual(['Failed', 'Failed', 'Processed']);
    expect(job?.webhooks.find((w) => w.id === HOOK_DOWN)?.error).toMatchObject({ status: 502, title: 'Webhook delivery failed' });
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
    expect(payload.inference_id).not.toBe(job.id);
  });

  it('sends nothing when no webhook_ids are given', async () => {
    const created = await enqueue(emu, { modelId: MODEL, doc: makeSampleInvoicePdf() });
    await finished(emu, created.json.job.id);
    expect(received).toHaveLength(0);
    expect(emu.job(created.json.job.id)?.job.webhooks).toEqual([]);
  });
});
