/**
 * Results pushed by webhook, end to end: the emulator delivers real signed webhooks to the
 * server's /webhooks/mindee; a wait ends at once with no poll and no result GET; a bad
 * signature has no effect; a failure payload ends the wait after one check; a duplicate
 * changes nothing; and a lost webhook still ends in a result, by the slow safety-net polls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS, DEMO_WEBHOOKS, signWebhookBody, type WebhookEvent } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { verifySignature } from '../../src/http/webhooks.js';
import { WEBHOOK_SECRET, callTool, startHttpHarness, type HttpHarness, type HttpHarnessOptions } from '../helpers/http-harness.js';
import { textOf } from '../helpers/harness.js';
import { addSecret } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

addSecret(WEBHOOK_SECRET);

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PUSH_ENV = { MINDEE_WEBHOOK_SECRET: WEBHOOK_SECRET, MINDEE_MCP_WEBHOOK_IDS: DEMO_WEBHOOKS.invoiceSuccess };

function start(options: HttpHarnessOptions = {}) {
  return startHttpHarness({ webhooksToServer: true, emulator: { processingMs: Infinity }, ...options, env: { ...PUSH_ENV, ...options.env } });
}

const gets = (prefix: string) => h!.emulator.requests.filter((r) => r.method === 'GET' && r.path.startsWith(prefix)).length;
const nextWebhook = () => new Promise<WebhookEvent>((resolve) => h!.emulator.once('webhook', resolve));
const completeOnCreate = (how: 'complete' | 'fail' = 'complete') =>
  h!.emulator.once('job-created', (job: { id: string }) => (how === 'complete' ? h!.emulator.completeJob(job.id) : h!.emulator.failJob(job.id)));

describe('webhook push', () => {
  it('ends the wait at once with the pushed result: no poll, no result GET', async () => {
    h = await start();
    completeOnCreate();
    const delivered = nextWebhook();
    const client = await h.client();
    const done = await callTool(client, 'enqueue_document', { model_id: 'invoice', file_base64: makeSampleInvoicePdf().toString('base64'), filename: 'inv.pdf' });
    expect(done.isError).toBeFalsy();
    expect(structuredOf('enqueue_document', done).result!.fields!.invoice_number).toBe('INV-2026-0042');
    const event = await delivered;
    expect(event).toMatchObject({ status: 'Processed', httpStatus: 200, webhookId: DEMO_WEBHOOKS.invoiceSuccess });
    // The configured webhook was added to the enqueue, since the model has it.
    expect(h.emulator.job(event.jobId)?.job.webhooks.map((w) => w.id)).toEqual([DEMO_WEBHOOKS.invoiceSuccess]);
    expect(gets('/v2/jobs/')).toBe(0);
    expect(gets('/v2/inferences/')).toBe(0);
    // The result was kept for this caller: it reads again without a GET.
    const again = await callTool(client, 'get_inference_result', { inference_id: structuredOf('enqueue_document', done).result!.inference_id });
    expect(again.isError).toBeFalsy();
    expect(gets('/v2/inferences/')).toBe(0);
    expect((await h.fetch('/metrics')).text).toMatch(/mindee_mcp_webhooks_total\{outcome="stored"\} 1/);
  });

  it('adds no webhook to a model that does not have it, and polls its jobs as usual', async () => {
    h = await start({ emulator: { processingMs: 0 } });
    const client = await h.client();
    const done = await callTool(client, 'enqueue_document', { model_id: 'receipt', url: 'https://example.com/r.pdf' });
    expect(done.isError).toBeFalsy();
    expect(gets('/v2/jobs/')).toBeGreaterThan(0);
  });

  it('ends a wait that starts after the webhook came, with no poll', async () => {
    h = await start();
    const client = h.connection.client(h.config.apiKey);
    const job = await client.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: DEMO_MODELS.invoice });
    const delivered = nextWebhook();
    h.emulator.completeJob(job.id);
    await delivered;
    const outcome = await client.waitForResult(job, { deadline: Date.now() + 60_000 });
    expect(outcome.state).toBe('processed');
    expect(outcome.polls).toBe(0);
    expect(gets('/v2/')).toBe(1); // the model list, to learn the model's webhooks
  });

  it('refuses a bad or missing signature with 401, and it has no effect', async () => {
    h = await start();
    const client = h.connection.client(h.config.apiKey);
    const job = await client.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: DEMO_MODELS.invoice });
    const body = JSON.stringify({ inference: { id: 'inf-forged', job: { id: job.id }, model: { id: DEMO_MODELS.invoice }, file: null, result: { fields: {} } } });
    for (const signature of [signWebhookBody('not-the-secret', body), undefined, 'zz']) {
      const res = await h.fetch('/webhooks/mindee', { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { 'x-signature': signature } : {}) }, body });
      expect(res.status).toBe(401);
    }
    expect(h.connection.jobs.wasPushed(job.id)).toBe(false);
    expect(await client.results.list()).toEqual([]);
    expect((await h.fetch('/metrics')).text).toMatch(/mindee_mcp_webhooks_total\{outcome="bad_signature"\} 3/);
  });

  it('on a failure payload, checks the job once and reports the failure', async () => {
    h = await start();
    completeOnCreate('fail');
    const delivered = nextWebhook();
    const client = await h.client();
    const failed = await callTool(client, 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf' });
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toMatch(/failed/i);
    const event = await delivered;
    expect(event.httpStatus).toBe(200);
    expect(JSON.parse(event.body)).toMatchObject({ inference_id: expect.any(String), model_id: DEMO_MODELS.invoice, error: expect.any(Object) });
    expect(gets('/v2/jobs/')).toBe(1);
  });

  it('changes nothing on a duplicate or late delivery', async () => {
    h = await start();
    completeOnCreate();
    const delivered = nextWebhook();
    const client = await h.client();
    const done = await callTool(client, 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf' });
    const event = await delivered;
    const inferenceId = structuredOf('enqueue_document', done).result!.inference_id;
    const kept = await h.connection.client(h.config.apiKey).results.get(inferenceId);
    const again = await h.fetch('/webhooks/mindee', { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': event.signature }, body: event.body });
    expect(again.status).toBe(200);
    expect(again.json().status).toBe('duplicate');
    expect(await h.connection.client(h.config.apiKey).results.get(inferenceId)).toBe(kept);
  });

  it('takes a pushed result of a job it does not know without keeping it (no key to keep it for)', async () => {
    h = await start();
    const body = JSON.stringify({ inference: { id: 'inf-elsewhere', job: { id: 'job-elsewhere' }, model: { id: DEMO_MODELS.invoice }, file: null, result: { fields: {} } } });
    const res = await h.fetch('/webhooks/mindee', { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': signWebhookBody(WEBHOOK_SECRET, body) }, body });
    expect(res.json().status).toBe('unknown_job');
    expect(await h.connection.client(h.config.apiKey).results.list()).toEqual([]);
    // Signed but not a Mindee payload.
    const junk = '{"hello":"world"}';
    const bad = await h.fetch('/webhooks/mindee', { method: 'POST', headers: { 'x-signature': signWebhookBody(WEBHOOK_SECRET, junk) }, body: junk });
    expect(bad.status).toBe(422);
  });

  it('caps the body', async () => {
    h = await start({ env: { MINDEE_MCP_MAX_RESPONSE_MB: '1' } });
    const res = await h.fetch('/webhooks/mindee', { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': '0'.repeat(64) }, body: 'x'.repeat(1024 * 1024 + 10) });
    expect(res.status).toBe(413);
    expect(res.json().detail).toMatch(/over the 1(\.0)? MB/);
  });

  it('still delivers by polling when the webhook is lost', async () => {
    // The emulator's webhooks go nowhere: the server waits for one that never comes.
    h = await start({ emulator: { processingMs: Infinity, webhookUrl: 'http://127.0.0.1:9/lost' }, env: { MINDEE_MCP_WEBHOOK_FALLBACK_SECONDS: '0.2' } });
    completeOnCreate();
    const lost = nextWebhook();
    const client = await h.client();
    const done = await callTool(client, 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf' });
    expect(done.isError).toBeFalsy();
    expect((await lost).status).toBe('Failed');
    expect(gets('/v2/jobs/')).toBeGreaterThanOrEqual(1);
  });
});

describe('verifySignature', () => {
  it('accepts the HMAC of the body, or of the body without line breaks, with any configured secret', () => {
    const body = Buffer.from('{"a":\r\n1}');
    const compact = signWebhookBody('s2', '{"a":1}');
    expect(verifySignature(body, signWebhookBody('s1', body.toString()), ['s0', 's1'])).toBe(true);
    expect(verifySignature(body, compact, ['s1', 's2'])).toBe(true);
    expect(verifySignature(body, compact.toUpperCase(), ['s2'])).toBe(true);
    expect(verifySignature(body, compact, ['s1'])).toBe(false);
    expect(verifySignature(body, compact.slice(2), ['s2'])).toBe(false);
  });
});
