/**
 * Many processes, one Mindee organisation: built servers (`node dist/cli.js` over stdio, driven
 * by the SDK's Client) sharing one emulator that enforces organisation-wide limits, with and
 * without a shared Redis. Time is scaled: the emulator's window and the servers'
 * (MINDEE_MCP_RATE_WINDOW) are 2 s instead of 60, so minutes of traffic take seconds. And two
 * HTTP replicas behind no balancer at all: what one receives (an upload, a task), the other serves.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELS, startEmulator, type Emulator, type RequestRecord } from 'mindee-v2-emulator';
import { makePdf, makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { TEST_API_KEY, addSecret, recordOutput } from '../setup/secrets.js';
import { freePort, hasRedis, startRedis, type RedisServer } from '../helpers/redis.js';
import { CLI, spawnServer } from '../helpers/spawned.js';
import { structuredOf } from '../helpers/structured.js';
const WINDOW_MS = 2_000;
/** The organisation's limits per window, as the emulator enforces them. */
const ORG = { postPerMinute: 100, getPerMinute: 400, windowMs: WINDOW_MS };
/** Each server's budget: 10 % under the organisation's, as the defaults are under Mindee's. */
const BUDGET = { MINDEE_MCP_MAX_POSTS_PER_MINUTE: '90', MINDEE_MCP_MAX_GETS_PER_MINUTE: '360', MINDEE_MCP_RATE_WINDOW: String(WINDOW_MS / 1000) };

let dir: string;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it first).');
  dir = await realpath(await mkdtemp(join(tmpdir(), 'mindee-mcp-replicas-')));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

interface Server {
  client: Client;
  stderr(): string;
  /** Resolves when the server has logged a line containing `text`. */
  logged(text: string): Promise<void>;
  close(): Promise<void>;
}

async function server(env: Record<string, string>, allowed = dir): Promise<Server> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, allowed], env: { MINDEE_V2_API_KEY: TEST_API_KEY, MINDEE_MCP_STATE_DIR: 'off', ...env }, stderr: 'pipe' });
  let stderr = '';
  const waiting: Array<{ text: string; resolve: () => void }> = [];
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of [...waiting]) if (stderr.includes(w.text)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  });
  const client = new Client({ name: 'replicas', version: '1.0.0' });
  await client.connect(transport);
  let closed = false;
  const s: Server = {
    client,
    stderr: () => stderr,
    logged: (text) => (stderr.includes(text) ? Promise.resolve() : new Promise((resolve) => waiting.push({ text, resolve }))),
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
      recordOutput('server stderr', stderr);
    },
  };
  cleanup.push(() => s.close());
  return s;
}

async function emulator(options: Parameters<typeof startEmulator>[0]): Promise<Emulator> {
  const e = await startEmulator({ apiKey: TEST_API_KEY, ...options });
  cleanup.push(() => e.close());
  return e;
}

async function redis(): Promise<RedisServer> {
  const r = await startRedis();
  cleanup.push(() => r.stop());
  return r;
}

/** `count` small PDFs in a folder of their own. */
async function folder(name: string, count: number): Promise<string> {
  const path = join(dir, name);
  await mkdir(path, { recursive: true });
  await Promise.all(Array.from({ length: count }, (_, i) => writeFile(join(path, `${name}-${String(i).padStart(3, '0')}.pdf`), makePdf({ pages: [[`INVOICE ${name} ${i}`, "Total amount: 100.00 EUR"]] }))));
  return path;
}

interface BatchOutcome {
  counts: { total: number; processed: number };
  documents: Array<{ status: string; error: string | null }>;
}

async function batch(s: Server, path: string, maxWait = 120): Promise<BatchOutcome> {
  const result = await s.client.callTool(
    { name: 'enqueue_documents', arguments: { model_id: DEMO_MODELS.invoice, file_paths: [path], max_wait_seconds: maxWait, detail: 'values', max_chars: 2000 } },
    undefined,
    { timeout: (maxWait + 30) * 1000 },
  );
  recordOutput('batch', result);
  if (result.isError) throw new Error(`enqueue_documents failed: ${JSON.stringify(result.content).slice(0, 1000)}\n${s.stderr().slice(-2000)}`);
  return result.structuredContent as BatchOutcome;
}

/** The most requests of one method the emulator received within any window (429s included). */
function busiestWindow(requests: ReadonlyArray<RequestRecord>, method: 'GET' | 'POST'): number {
  const times = requests.filter((r) => r.method === method && r.authorized).map((r) => r.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= WINDOW_MS) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

const refused = (e: Emulator) => e.requests.filter((r) => r.status === 429).length;

const HTTP_TOKEN = 'tok_replicas_3b9e1c7d5f2a4e6b8c0d';
addSecret(HTTP_TOKEN);

/** An SDK client of a spawned HTTP server, closed after the test. */
async function httpClient(url: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${HTTP_TOKEN}` } } });
  const client = new Client({ name: 'replicas-http', version: '1.0.0' });
  await client.connect(transport);
  cleanup.push(() => client.close());
  return client;
}

/** POSTs a document to a server's /uploads; its upload_id. */
async function uploadTo(url: string, body: Buffer): Promise<string> {
  const res = await request(`${url}/uploads?filename=march.pdf`, { method: 'POST', headers: { authorization: `Bearer ${HTTP_TOKEN}`, 'content-type': 'application/pdf' }, body });
  const answer = (await res.body.json()) as { upload_id: string };
  recordOutput('upload', answer);
  expect(res.statusCode).toBe(201);
  return answer.upload_id;
}

describe('a missing Redis at start', () => {
  it('stops the server with a clear error naming the URL, its password masked, and a non-zero exit', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI], {
      env: { ...process.env, MINDEE_V2_API_KEY: TEST_API_KEY, MINDEE_MCP_REDIS_URL: `redis://mcp:s3cret-passw0rd@127.0.0.1:${port}` },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    recordOutput('server stderr', stderr);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`Cannot use Redis at redis://mcp:***@127.0.0.1:${port}`);
    expect(stderr).toContain('ECONNREFUSED');
    expect(stderr).not.toContain('s3cret-passw0rd');
  });
});

describe.skipIf(!hasRedis)('many processes, one organisation', () => {
  it('three servers sharing Redis stay within the organisation\'s limits: 300 documents delivered, no 429; without Redis they trip 429s', async () => {
    const folders = await Promise.all(['r0', 'r1', 'r2'].map((n) => folder(n, 100)));

    const shared = await emulator({ processingMs: 300, rateLimits: ORG });
    const r = await redis();
    const servers = await Promise.all([0, 1, 2].map(() => server({ MINDEE_V2_BASE_URL: shared.url, MINDEE_MCP_REDIS_URL: r.url, ...BUDGET })));
    const outcomes = await Promise.all(servers.map((s, i) => batch(s, folders[i]!)));
    expect(outcomes.map((o) => o.counts.processed)).toEqual([100, 100, 100]);
    expect(refused(shared)).toBe(0);
    expect(busiestWindow(shared.requests, 'POST')).toBeLessThanOrEqual(ORG.postPerMinute);
    expect(busiestWindow(shared.requests, 'GET')).toBeLessThanOrEqual(ORG.getPerMinute);
    expect(shared.requests.filter((r) => r.method === 'POST').length).toBe(300);
    await Promise.all(servers.map((s) => s.close()));

    // The same three, each with its own budget in memory: together they send more than the
    // organisation may. A 30 s window here, so that however slowly a loaded machine uploads, the
    // 270 enqueues the three allow themselves fall in one window of the organisation's 100.
    const slow = { ...ORG, windowMs: 30_000 };
    const alone = await emulator({ processingMs: 300, rateLimits: slow });
    const firstRefusal = new Promise<void>((resolve) => alone.on('request', (q) => q.status === 429 && resolve()));
    const separate = await Promise.all([0, 1, 2].map(() => server({ MINDEE_V2_BASE_URL: alone.url, ...BUDGET, MINDEE_MCP_RATE_WINDOW: '30' })));
    const runs = separate.map((s, i) => batch(s, folders[i]!, 20).catch(() => null));
    await firstRefusal;
    await Promise.all(separate.map((s) => s.close()));
    await Promise.all(runs);
    expect(refused(alone)).toBeGreaterThan(0);
  }, 120_000);

  it('reads on one server a delete-on-fetch result that another fetched', async () => {
    await writeFile(join(dir, 'invoice.pdf'), makeSampleInvoicePdf());
    const e = await emulator({ processingMs: 50, rateLimits: false });
    const r = await redis();
    const [a, b] = await Promise.all([0, 1].map(() => server({ MINDEE_V2_BASE_URL: e.url, MINDEE_MCP_REDIS_URL: r.url })));
    const fetched = await a!.client.callTool({ name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.deleteOnFetch, file_path: 'invoice.pdf', max_wait_seconds: 30 } });
    recordOutput('a', fetched);
    const view = structuredOf('enqueue_document', fetched).result!;
    expect(view.fields!.invoice_number).toBe('INV-2026-0042');
    const resultGets = () => e.requests.filter((q) => q.method === 'GET' && q.path.includes(view.inference_id)).length;
    expect(resultGets()).toBe(1);
    const again = await b!.client.callTool({ name: 'get_inference_result', arguments: { inference_id: view.inference_id } });
    recordOutput('b', again);
    expect(again.isError).toBeFalsy();
    expect(structuredOf('get_inference_result', again).fields!.invoice_number).toBe('INV-2026-0042');
    // Served from Redis: the emulator, which deleted it once fetched, was not asked again.
    expect(resultGets()).toBe(1);
  });

  it('ends a wait on one server when another sees the job finished, and serves it the result the other fetched', async () => {
    await writeFile(join(dir, 'invoice.pdf'), makeSampleInvoicePdf());
    const e = await emulator({ processingMs: Infinity, rateLimits: false });
    const r = await redis();
    const a = await server({ MINDEE_V2_BASE_URL: e.url, MINDEE_MCP_REDIS_URL: r.url });
    // B has one GET an hour in a scope of its own: after its first poll only a completion from
    // elsewhere, and a result kept by someone else, can end its wait.
    const b = await server({ MINDEE_V2_BASE_URL: e.url, MINDEE_MCP_REDIS_URL: r.url, MINDEE_MCP_RATE_SCOPE: 'b-only', MINDEE_MCP_MAX_GETS_PER_MINUTE: '1', MINDEE_MCP_RATE_WINDOW: '3600' });
    const created = once(e, 'job-created') as Promise<[{ id: string }]>;
    const waiting = b.client.callTool({ name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, file_path: 'invoice.pdf', max_wait_seconds: 60 } }, undefined, { timeout: 90_000 });
    const [job] = await Promise.race([
      created,
      waiting.then((early) => {
        throw new Error(`B ended before any job was created: ${JSON.stringify(early.content).slice(0, 500)}`);
      }),
    ]);
    await new Promise<void>((resolve) => {
      const onRequest = (q: RequestRecord) => {
        if (q.method === 'GET' && q.path === `/v2/jobs/${job.id}`) {
          e.off('request', onRequest);
          resolve();
        }
      };
      e.on('request', onRequest);
    });
    e.completeJob(job.id);
    const inferenceId = new URL(e.job(job.id)!.job.result_url!).pathname.split('/').pop()!;
    const readByA = await a.client.callTool({ name: 'get_inference_result', arguments: { inference_id: inferenceId } });
    expect(readByA.isError).toBeFalsy();
    const statusByA = await a.client.callTool({ name: 'get_job_status', arguments: { job_id: job.id } });
    expect(structuredOf('get_job_status', statusByA).job.status).toBe('Processed');
    const result = await waiting;
    recordOutput('b', result);
    expect(structuredOf('enqueue_document', result).result!.fields!.invoice_number).toBe('INV-2026-0042');
    const gets = (prefix: string) => e.requests.filter((q) => q.method === 'GET' && q.path.startsWith(prefix)).length;
    // B's one poll and A's; the result was read once, by A.
    expect(gets(`/v2/jobs/${job.id}`)).toBe(2);
    expect(gets(`/v2/inferences/${inferenceId}`)).toBe(1);
  });

  it('serves over HTTP on either replica what the other started: an upload_id made on one, a task followed, answered and cancelled on the other', async () => {
    const e = await emulator({ processingMs: Infinity, rateLimits: false });
    const r = await redis();
    const uploads = join(dir, 'uploads');
    const env = {
      MINDEE_V2_API_KEY: TEST_API_KEY,
      MINDEE_V2_BASE_URL: e.url,
      MINDEE_MCP_REDIS_URL: r.url,
      MINDEE_MCP_UPLOAD_DIR: uploads,
      MINDEE_MCP_AUTH: 'token',
      MINDEE_MCP_HTTP_TOKENS: HTTP_TOKEN,
      MINDEE_MCP_STATE_DIR: 'off',
    };
    const [a, b] = await Promise.all([0, 1].map(() => spawnServer(['--transport', 'http', '--port', '0'], env)));
    for (const s of [a!, b!]) cleanup.push(async () => {
      s.child.kill('SIGKILL');
      await s.exited;
      s.stderr();
    });
    const onA = await httpClient(a!.url);
    const onB = await httpClient(b!.url);
    const nextJob = () => new Promise<string>((resolve) => e.once('job-created', (job: { id: string }) => resolve(job.id)));
    const startTask = (client: Client, args: Record<string, unknown>) =>
      client.request({ method: 'tools/call', params: { name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, ...args }, task: {} } }, CreateTaskResultSchema).then((c) => c.task);

    // Uploaded to A, sent by a task started on B, followed and answered on A.
    const first = await uploadTo(a!.url, makeSampleInvoicePdf());
    let created = nextJob();
    const sent = await startTask(onB, { upload_id: first });
    const firstJob = await created;
    expect((await onA.experimental.tasks.getTask(sent.taskId)).status).toBe('working');
    e.completeJob(firstJob);
    const answered = await onA.experimental.tasks.getTaskResult(sent.taskId, CallToolResultSchema);
    recordOutput('tasks/result on A', answered);
    expect(answered.isError).toBeFalsy();
    expect(structuredOf('enqueue_document', answered).result).toMatchObject({ file: { name: 'march.pdf' }, fields: { invoice_number: 'INV-2026-0042' } });

    // Started on A, cancelled on B; A's answer is the cancel's.
    created = nextJob();
    const second = await startTask(onA, { url: 'https://example.com/a.pdf' });
    await created;
    expect((await onB.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toEqual([sent.taskId, second.taskId]);
    expect((await onB.experimental.tasks.cancelTask(second.taskId)).status).toBe('cancelled');
    const cancelled = await onA.experimental.tasks.getTaskResult(second.taskId, CallToolResultSchema);
    expect(cancelled.isError).toBe(true);
    expect(JSON.stringify(cancelled.content)).toContain('Mindee cannot cancel a job');

    // A stops; the upload it received and nobody used stays for B.
    const left = await uploadTo(a!.url, makeSampleInvoicePdf());
    a!.child.kill('SIGTERM');
    expect(await a!.exited).toBe(0);
    // The one sent earlier stays too, kept for its review.
    expect((await readdir(uploads)).sort()).toEqual([first, left].sort());
    const later = await onB.callTool({ name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, upload_id: left, wait: false } });
    recordOutput('b', later);
    expect(later.isError).toBeFalsy();
    // Sent: kept for its review, not deleted.
    expect((await readdir(uploads)).sort()).toEqual([first, left].sort());
  });

  it('survives Redis stopped mid-run and restarted: no crash, every document ends with its result or a clear error, the budget holds', async () => {
    const folders = await Promise.all(['s0', 's1'].map((n) => folder(n, 60)));
    const org = { postPerMinute: 40, getPerMinute: 400, windowMs: WINDOW_MS };
    const e = await emulator({ processingMs: 300, rateLimits: org });
    const r = await redis();
    const env = { MINDEE_V2_BASE_URL: e.url, MINDEE_MCP_REDIS_URL: r.url, ...BUDGET, MINDEE_MCP_MAX_POSTS_PER_MINUTE: '36' };
    const servers = await Promise.all([0, 1].map(() => server(env)));
    let created = 0;
    const after = (n: number) => new Promise<void>((resolve) => {
      const onCreated = () => {
        if (++created >= n) {
          e.off('job-created', onCreated);
          resolve();
        }
      };
      e.on('job-created', onCreated);
    });
    const firstBatch = after(40);
    const t0 = Date.now();
    const runs = servers.map((s, i) => batch(s, folders[i]!));
    await firstBatch;
    await r.kill();
    await Promise.all(servers.map((s) => s.logged('is unreachable')));
    // Enqueues go on while Redis is away (each server on its share of the budget)…
    const whileDown = after(created + 10);
    await whileDown;
    await r.restart();
    await Promise.all(servers.map((s) => s.logged('is back')));
    const outcomes = await Promise.all(runs);
    for (const o of outcomes) {
      expect(o.counts.total).toBe(60);
      for (const d of o.documents) {
        if (d.status !== 'Processed') expect(d.error ?? '').toMatch(/\w{10,}/);
      }
    }
    expect(outcomes.reduce((t, o) => t + o.counts.processed, 0)).toBe(120);
    expect(e.requests.filter((q) => q.status === 429).map((q) => `${q.method} ${q.path} at ${q.at - t0}`)).toEqual([]);
    expect(busiestWindow(e.requests, 'POST')).toBeLessThanOrEqual(org.postPerMinute);
    // Still alive and answering.
    for (const s of servers) {
      expect((await s.client.listTools()).tools.length).toBeGreaterThan(0);
      expect(s.stderr().match(/is unreachable/g)).toHaveLength(1);
    }
  }, 120_000);
});
