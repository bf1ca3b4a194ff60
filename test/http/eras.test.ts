/**
 * Both protocol eras over Streamable HTTP, in process: the v2 SDK client pinned to 2026-07-28 and
 * in legacy mode, the v1 client as a 2025 host, and raw requests. Tools, resources, progress and
 * cancellation in the modern era; the spec's answer to a revision this server does not speak; and
 * the tasks extension (`io.modelcontextprotocol/tasks`) through its own client.
 */
import { resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS, startEmulator } from 'mindee-v2-emulator';
import { createRedisState } from '../../src/state/redis/index.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { TEST_API_KEY } from '../setup/secrets.js';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { callTool as v1Call, startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';
import { MODERN, call, connectHttp, taskSession } from '../helpers/modern.js';
import { recordOutput } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const pdfBase64 = makeSampleInvoicePdf().toString('base64');
const nextJob = () => new Promise<string>((resolve) => h!.emulator.once('job-created', (job: { id: string }) => resolve(job.id)));

describe('2026-07-28 over HTTP', () => {
  it('serves a client pinned to it the same tools as a 2025 client, and every tool call', async () => {
    h = await startHttpHarness();
    const modern = await connectHttp(h.url, 'modern');
    expect(modern.getProtocolEra()).toBe('modern');
    const legacy = await h.client();
    const [now, before] = await Promise.all([modern.listTools(), legacy.listTools()]);
    expect(now.tools.map((t) => t.name)).toEqual(before.tools.map((t) => t.name));
    for (const tool of now.tools) {
      const old = before.tools.find((t) => t.name === tool.name)!;
      expect(tool.inputSchema).toEqual(old.inputSchema);
      expect(tool.outputSchema).toEqual(old.outputSchema);
      expect(tool.description).toBe(old.description);
    }
    const done = await call(modern, 'enqueue_document', { model_id: 'invoice', file_base64: pdfBase64, filename: 'invoice.pdf' });
    expect(done.isError).toBeFalsy();
    const inferenceId = structuredOf('enqueue_document', done).result!.inference_id;
    expect((await call(modern, 'get_inference_result', { inference_id: inferenceId, fields: ['total_amount'] })).isError).toBeFalsy();
    expect((await call(modern, 'get_job_status', { job_id: structuredOf('enqueue_document', done).job.job_id })).isError).toBeFalsy();
    expect((await call(modern, 'search_models', {})).isError).toBeFalsy();
    expect((await call(modern, 'enqueue_documents', { model_id: 'invoice', urls: ['https://example.com/a.pdf'] })).isError).toBeFalsy();
    // The kept result, as a resource.
    const listed = await modern.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain(`mindee://inferences/${inferenceId}`);
    const read = await modern.readResource({ uri: `mindee://inferences/${inferenceId}` });
    recordOutput('resource', read);
    expect(JSON.parse((read.contents[0] as { text: string }).text).inference.id).toBe(inferenceId);
    await expect(modern.readResource({ uri: 'mindee://inferences/no-such-result' })).rejects.toThrow(/Resource not found|not found|known to you/i);
  });

  it('sends progress while a call waits, and a cancelled call stops waiting', async () => {
    h = await startHttpHarness({ emulator: { processingMs: Infinity }, settings: { heartbeatMs: 20 } });
    const modern = await connectHttp(h.url, 'modern');
    const progress: string[] = [];
    const created = nextJob();
    let twoBeats: () => void = () => {};
    const beaten = new Promise<void>((resolve) => (twoBeats = resolve));
    const waiting = call(modern, 'enqueue_document', { model_id: 'invoice', file_base64: pdfBase64, filename: 'a.pdf' }, {
      onprogress: (p) => {
        progress.push(p.message ?? '');
        if (progress.length >= 2) twoBeats();
      },
    });
    const job = await created;
    await beaten;
    h.emulator.completeJob(job);
    expect((await waiting).isError).toBeFalsy();
    expect(progress[0]).toMatch(/Processing… \d+ s \(job /);

    // Cancelling closes the request's stream (2026-07-28 has no notifications/cancelled over HTTP).
    const second = nextJob();
    const controller = new AbortController();
    const logged = h.nextLog((l) => l.includes('tool=enqueue_document') && l.includes('outcome=cancelled'));
    const cancelled = call(modern, 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf', max_wait_seconds: 60 }, { signal: controller.signal });
    const id = await second;
    controller.abort('enough');
    await expect(cancelled).rejects.toThrow();
    await logged;
    const polls = () => h!.emulator.requests.filter((r) => r.path === `/v2/jobs/${id}`).length;
    const before = polls();
    await call(modern, 'search_models', {});
    expect(polls()).toBe(before);
  });

  it('answers a revision it does not speak with the spec error listing those it does', async () => {
    h = await startHttpHarness();
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': '2099-01-01',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const res = await h.fetch('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/list' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: envelope } }),
    });
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ code: -32022, data: { supported: [MODERN], requested: '2099-01-01' } });
    const init = await h.fetch('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-01-01', capabilities: {}, clientInfo: { name: 'old', version: '1' } } }),
    });
    // A 2025-era opening with an unknown version is answered with the newest 2025 one (the 2025 negotiation).
    expect(init.text).toMatch(/"protocolVersion":"2025-/);
    // Each 2025 revision a client opens with is the one it gets.
    for (const version of ['2025-06-18', '2025-11-25']) {
      const opened = await h.fetch('/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'host', version: '1' } } }),
      });
      expect(opened.json().result).toMatchObject({ protocolVersion: version, serverInfo: { name: 'mindee-mcp' } });
    }
  });

  it('keeps serving 2025 clients: the v2 client in legacy mode and the v1 client', async () => {
    h = await startHttpHarness();
    const legacy = await connectHttp(h.url, 'legacy');
    expect(legacy.getProtocolEra()).toBe('legacy');
    expect((await call(legacy, 'search_models', {})).isError).toBeFalsy();
    const v1 = await h.client();
    expect((await v1Call(v1, 'search_models', {})).isError).toBeFalsy();
  });
});

describe('the tasks extension (2026-07-28)', () => {
  it('answers with a task when the wait outlasts the call\'s budget, and the task gives the plain call\'s result', async () => {
    h = await startHttpHarness({ emulator: { processingMs: Infinity } });
    const { session } = await taskSession(h.url);
    const created = nextJob();
    const execution = await session.callTool('enqueue_document', { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf', max_wait_seconds: 1 });
    expect(execution.kind).toBe('task');
    const job = await created;
    h.emulator.completeJob(job);
    const { outcome } = await execution.settle();
    recordOutput('task outcome', outcome);
    expect(outcome.status).toBe('completed');
    const result = resultFromTaskOutcome(outcome);
    expect(result.isError).toBeFalsy();
    expect(structuredOf('enqueue_document', result).result!.inference_id).toBeTruthy();
    await session.close();
  });

  it('answers plainly when the result comes within the budget', async () => {
    h = await startHttpHarness({ emulator: { processingMs: 0 } });
    const { session } = await taskSession(h.url);
    const execution = await session.callTool('enqueue_document', { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf' });
    expect(execution.kind).toBe('immediate');
    const { outcome } = await execution.settle();
    expect(structuredOf('enqueue_document', resultFromTaskOutcome(outcome)).result!.inference_id).toBeTruthy();
    await session.close();
  });

  it('cancels a task: it stops waiting, and says Mindee cannot cancel the job', async () => {
    h = await startHttpHarness({ emulator: { processingMs: Infinity } });
    const { session } = await taskSession(h.url);
    const created = nextJob();
    const execution = await session.callTool('enqueue_document', { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf', max_wait_seconds: 1 });
    expect(execution.kind).toBe('task');
    await created;
    await execution.cancel();
    const { outcome } = await execution.settle();
    expect(outcome.status).toBe('cancelled');
    await session.close();
  });

  it('never hands a task to a client that did not declare the extension', async () => {
    h = await startHttpHarness({ emulator: { processingMs: Infinity } });
    const modern = await connectHttp(h.url, 'modern');
    const result = await call(modern, 'enqueue_document', { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf', max_wait_seconds: 1 });
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toMatch(/Still processing/);
  });
});

describe.skipIf(!hasRedis)('the tasks extension on Redis state', () => {
  it('follows and reads on one replica a task started on another', async () => {
    const redis = await startRedis();
    const emulator = await startEmulator({ processingMs: Infinity, apiKey: TEST_API_KEY, rateLimits: false });
    const rateLimits = { postPerMinute: 100_000, getPerMinute: 100_000 };
    const states = await Promise.all([0, 1].map(() => createRedisState({ url: redis.url, rateLimits, commandTimeoutMs: 300 })));
    const [a, b] = await Promise.all(
      states.map((state) => startHttpHarness({ argv: ['--auth', 'mindee-key'], env: { MINDEE_MCP_REDIS_URL: redis.url }, sharedEmulator: emulator, connection: { state } })),
    );
    const auth = { authorization: `Bearer ${TEST_API_KEY}` };
    try {
      const onA = await taskSession(a!.url, auth);
      const created = new Promise<string>((resolve) => emulator.once('job-created', (job: { id: string }) => resolve(job.id)));
      const execution = await onA.session.callTool('enqueue_document', { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf', max_wait_seconds: 1 });
      expect(execution.kind).toBe('task');
      const taskId = execution.handle!.taskId;
      const jobId = await created;
      const onB = await taskSession(b!.url, auth);
      const seen = await onB.session.task(taskId).snapshot();
      expect(seen.status).toBe('working');
      emulator.completeJob(jobId);
      const outcome = await onB.session.task(taskId).result();
      recordOutput('task outcome on B', outcome);
      expect(outcome.status).toBe('completed');
      expect(structuredOf('enqueue_document', resultFromTaskOutcome(outcome)).result!.inference_id).toBeTruthy();
      await Promise.all([onA.session.close(), onB.session.close()]);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
      await Promise.all(states.map((state) => state.close()));
      await emulator.close();
      await redis.stop();
    }
  });
});
