/**
 * The remote server over real loopback HTTP: the SDK's Streamable HTTP client and raw requests.
 * Stateless MCP at /mcp (SSE or JSON), health and metrics, Host and Origin allow-lists, body and
 * concurrency limits, progress over SSE, cancellation, request logs, graceful shutdown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { JSON_HEADERS, callTool, rpc, startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';
import { TEST_API_KEY } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const pdfBase64 = makeSampleInvoicePdf().toString('base64');

describe('Streamable HTTP at /mcp', () => {
  it('serves the same tools and results as stdio, statelessly, to the SDK client', async () => {
    h = await startHttpHarness();
    const client = await h.client();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['enqueue_document', 'enqueue_documents', 'get_job_status', 'get_inference_result', 'review_result', 'search_models']);
    const done = await callTool(client, 'enqueue_document', { model_id: 'invoice', file_base64: pdfBase64, filename: 'invoice.pdf' });
    expect(done.isError).toBeFalsy();
    const inferenceId = structuredOf('enqueue_document', done).result!.inference_id;
    expect(structuredOf('enqueue_document', done).result!.fields!.invoice_number).toBe('INV-2026-0042');
    // Another request, so another server instance: the kept result is still this key's.
    const again = await callTool(client, 'get_inference_result', { inference_id: inferenceId, fields: ['total_amount'] });
    expect(again.isError).toBeFalsy();
    const resources = await client.listResources();
    expect(resources.resources.map((r) => r.uri)).toContain(`mindee://inferences/${inferenceId}`);
  });

  it('answers JSON to a client that does not take SSE, and SSE to one that does where a call may send before its answer', async () => {
    h = await startHttpHarness();
    const json = await h.fetch('/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: rpc('tools/list') });
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.json().result.tools).toHaveLength(6);
    // A tool call may send progress (or ask the person) first: streamed to a client that takes SSE.
    const sse = await h.fetch('/mcp', { method: 'POST', headers: JSON_HEADERS, body: rpc('tools/call', { name: 'search_models', arguments: {} }) });
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(sse.text).toMatch(/^event: message\ndata: \{.*"result"/m);
    // Nothing comes before a tools/list answer: one JSON body, whatever the client takes (no SSE framing to pay for).
    const list = await h.fetch('/mcp', { method: 'POST', headers: JSON_HEADERS, body: rpc('tools/list') });
    expect(list.headers.get('content-type')).toMatch(/^application\/json/);
    expect(list.json().result.tools).toHaveLength(6);
  });

  it('answers 405 to GET and DELETE /mcp (no sessions, no standalone stream)', async () => {
    h = await startHttpHarness();
    for (const method of ['GET', 'DELETE']) {
      const res = await h.fetch('/mcp', { method, headers: { accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('serves /healthz and Prometheus /metrics', async () => {
    h = await startHttpHarness();
    const health = await h.fetch('/healthz');
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const client = await h.client();
    await callTool(client, 'enqueue_document', { model_id: 'invoice', file_base64: pdfBase64, filename: 'invoice.pdf' });
    await callTool(client, 'get_job_status', { job_id: 'no-such-job' });
    const metrics = await h.fetch('/metrics');
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metrics.text).toContain('mindee_mcp_tool_calls_total{tool="enqueue_document",outcome="ok"} 1');
    expect(metrics.text).toContain('mindee_mcp_tool_calls_total{tool="get_job_status",outcome="error"} 1');
    expect(metrics.text).toMatch(/mindee_mcp_mindee_requests_total\{method="POST",route="enqueue",status="202"\} 1/);
    expect(metrics.text).toMatch(/mindee_mcp_mindee_requests_total\{method="GET",route="job",status="404"\} \d/);
    expect(metrics.text).toMatch(/mindee_mcp_job_wait_seconds_count\{outcome="processed"\} 1/);
    expect(metrics.text).toMatch(/mindee_mcp_rate_budget_limit\{kind="post"\} 100000/);
    expect(metrics.text).toMatch(/mindee_mcp_http_requests_total\{route="\/mcp",status="200"\} \d/);
  });
});

describe('DNS-rebinding protection', () => {
  it('refuses a Host that is not allowed, and a browser Origin of another site', async () => {
    h = await startHttpHarness();
    const badHost = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, host: 'attacker.example' }, body: rpc('tools/list') });
    expect(badHost.status).toBe(403);
    expect(badHost.text).toContain('attacker.example');
    const badOrigin = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, origin: 'https://attacker.example' }, body: rpc('tools/list') });
    expect(badOrigin.status).toBe(403);
    expect(badOrigin.text).toContain('https://attacker.example');
    const sameOrigin = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, origin: h.url }, body: rpc('tools/list') });
    expect(sameOrigin.status).toBe(200);
    // Another port of the same host is another site: another local app must not reach this server.
    const otherPort = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, origin: 'http://localhost:6274' }, body: rpc('tools/list') });
    expect(otherPort.status).toBe(403);
    expect(otherPort.text).toMatch(/MINDEE_MCP_ALLOWED_HOSTS with the port \(e\.g\. localhost:6274\)/);
    const otherPortOfOwnHost = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, origin: h.url.replace(/:(\d+)$/, (_m, p: string) => `:${Number(p) + 1}`) }, body: rpc('tools/list') });
    expect(otherPortOfOwnHost.status).toBe(403);
  });

  it('accepts a browser origin of another port when it is listed with its port', async () => {
    h = await startHttpHarness({ env: { MINDEE_MCP_ALLOWED_HOSTS: 'localhost:6274' } });
    const listed = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, origin: 'http://localhost:6274' }, body: rpc('tools/list') });
    expect(listed.status).toBe(200);
    const unlisted = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, origin: 'http://localhost:6275' }, body: rpc('tools/list') });
    expect(unlisted.status).toBe(403);
  });

  it('accepts the configured host names only', async () => {
    h = await startHttpHarness({ env: { MINDEE_MCP_ALLOWED_HOSTS: 'mcp.example.com' } });
    const ok = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, host: 'mcp.example.com' }, body: rpc('tools/list') });
    expect(ok.status).toBe(200);
    const other = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, host: 'other.example.com' }, body: rpc('tools/list') });
    expect(other.status).toBe(403);
  });
});

describe('limits', () => {
  it('answers 413 naming the limit, for a body over MINDEE_MCP_MAX_BODY_MB', async () => {
    h = await startHttpHarness({ env: { MINDEE_MCP_MAX_BODY_MB: '1' } });
    const big = rpc('tools/call', { name: 'enqueue_document', arguments: { model_id: 'invoice', file_base64: 'A'.repeat(1_100_000) } });
    const res = await h.fetch('/mcp', { method: 'POST', headers: JSON_HEADERS, body: big });
    expect(res.status).toBe(413);
    expect(res.json().error.message).toMatch(/over the 1(\.0)? MB limit .*MINDEE_MCP_MAX_BODY_MB.*POST \/uploads/);
  });

  it('answers 429 with Retry-After past the calls in flight per caller, and lets a cancellation through', async () => {
    h = await startHttpHarness({ env: { MINDEE_MCP_MAX_CONCURRENT_CALLS: '1' }, emulator: { processingMs: Infinity } });
    const client = await h.client();
    const created = new Promise<{ id: string }>((resolve) => h!.emulator.once('job-created', resolve));
    const controller = new AbortController();
    const first = callTool(client, 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf', max_wait_seconds: 60 }, { signal: controller.signal });
    await created;
    const second = await h.fetch('/mcp', { method: 'POST', headers: JSON_HEADERS, body: rpc('tools/list', {}, 7) });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(second.json().error.message).toContain('MINDEE_MCP_MAX_CONCURRENT_CALLS');
    // The cancellation is a request of its own: the limit must not hold it back.
    const ended = h.nextLog((l) => l.includes('tool=enqueue_document'));
    controller.abort('enough');
    await expect(first).rejects.toThrow();
    expect(await ended).toContain('outcome=cancelled');
    const third = await h.fetch('/mcp', { method: 'POST', headers: JSON_HEADERS, body: rpc('tools/list', {}, 8) });
    expect(third.status).toBe(200);
  });
});

describe('calls that wait', () => {
  it('sends progress notifications over SSE while a call waits', async () => {
    h = await startHttpHarness({ emulator: { processingMs: Infinity }, settings: { heartbeatMs: 20 } });
    const client = await h.client();
    let complete: (() => void) | undefined;
    const twoBeats = new Promise<void>((resolve) => (complete = resolve));
    const progress: string[] = [];
    h.emulator.on('job-created', (job) => {
      void twoBeats.then(() => h!.emulator.completeJob(job.id));
    });
    const result = await callTool(
      client,
      'enqueue_document',
      { model_id: 'invoice', file_base64: pdfBase64, filename: 'invoice.pdf' },
      {
        onprogress: (p) => {
          progress.push(p.message ?? '');
          if (progress.length >= 2) complete?.();
        },
      },
    );
    expect(result.isError).toBeFalsy();
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(/Processing… \d+ s \(job /);
  });

  it('ends a call when the client cancels it: the wait stops polling', async () => {
    h = await startHttpHarness({ emulator: { processingMs: Infinity } });
    const client = await h.client();
    const created = new Promise<{ id: string }>((resolve) => h!.emulator.once('job-created', resolve));
    const controller = new AbortController();
    const call = callTool(client, 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf', max_wait_seconds: 60 }, { signal: controller.signal });
    const job = await created;
    const logged = h.nextLog((l) => l.includes('tool=enqueue_document'));
    controller.abort('user cancelled');
    await expect(call).rejects.toThrow(/user cancelled|abort/i);
    expect(await logged).toMatch(/outcome=cancelled/);
    const polls = () => h!.emulator.requests.filter((r) => r.path === `/v2/jobs/${job.id}`).length;
    const before = polls();
    // A later request runs to its end; no poll of the cancelled job came meanwhile.
    await callTool(client, 'search_models', {});
    expect(polls()).toBe(before);
    expect(h.remote.inFlight.size).toBe(0);
  });
});

describe('request logs', () => {
  it('writes one JSON line per request with method, tool, principal, status and duration, never the key', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key', '--log-format', 'json'] });
    const client = await h.client({ authorization: `Bearer ${TEST_API_KEY}` });
    await callTool(client, 'search_models', { name: 'invoice' });
    const line = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.tool === 'search_models');
    expect(line).toMatchObject({ level: 'info', method: 'POST', path: '/mcp', rpc: 'tools/call', tool: 'search_models', status: 200, outcome: 'ok' });
    expect(line.principal).toMatch(/^key:[0-9a-f]{64}$/);
    expect(line.duration_ms).toBeGreaterThan(0);
    expect(h.logs.join('\n')).not.toContain(TEST_API_KEY.slice(0, 12));
  });
});

describe('graceful shutdown', () => {
  it('refuses new calls, lets the call in flight finish, then closes', async () => {
    h = await startHttpHarness({ emulator: { processingMs: Infinity } });
    const client = await h.client();
    const created = new Promise<{ id: string }>((resolve) => h!.emulator.once('job-created', resolve));
    const call = callTool(client, 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf', max_wait_seconds: 30 });
    const job = await created;
    const shutdown = h.listener.shutdown(30_000);
    // New calls are refused, health says so (load balancers stop sending); the call in flight goes on.
    const refused = await h.fetch('/mcp', { method: 'POST', headers: JSON_HEADERS, body: rpc('tools/list') });
    expect(refused.status).toBe(503);
    expect(refused.json().error.message).toMatch(/shutting down/);
    expect((await h.fetch('/healthz')).json().status).toBe('shutting_down');
    h.emulator.completeJob(job.id);
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(structuredOf('enqueue_document', result).result!.inference_id).toBeTruthy();
    expect(await shutdown).toBe(true);
  });

  it('ends calls still in flight once the grace period is over', async () => {
    h = await startHttpHarness({ emulator: { processingMs: Infinity } });
    const client = await h.client();
    const created = new Promise<void>((resolve) => h!.emulator.once('job-created', () => resolve()));
    const call = callTool(client, 'enqueue_document', { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf', max_wait_seconds: 60 }).catch((e: Error) => e);
    await created;
    expect(await h.listener.shutdown(50)).toBe(false);
    const outcome = await call;
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(/shut down before this call ended/);
  });
});
