/**
 * Two replicas of the remote server in one test process, as a load balancer would spread one
 * caller's requests: each its own listener, connection and Redis-backed state, both on one
 * redis-server, one emulator and (for uploads) one upload directory. An upload_id made on one
 * is claimed on the other; a task started on one is read, cancelled and answered by the other.
 */
import { readdir } from 'node:fs/promises';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { DEMO_MODELS, type Emulator, type RequestRecord } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SharedState } from '../../src/state/index.js';
import type { RedisJobEvents } from '../../src/state/redis/job-events.js';
import { createRedisState } from '../../src/state/redis/index.js';
import { startAccounts } from '../helpers/accounts.js';
import { textOf } from '../helpers/harness.js';
import { callTool, startHttpHarness, tempDir, type HttpHarness } from '../helpers/http-harness.js';
import { hasRedis, startRedis, type RedisServer } from '../helpers/redis.js';
import { TEST_API_KEY, addSecret, recordOutput } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

const KEY_B = 'md_test_REPLICA_OTHER_7c1d2e3f4a5b6c7d8e9f';
addSecret(KEY_B);
const AS_A = { authorization: `Bearer ${TEST_API_KEY}` };

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/**
 * The Redis and the emulator the replicas share; jobs end at once, or (Infinity) when the test
 * ends them. KEY_B is a key of another Mindee account (behind the same origin), so Mindee takes it.
 */
async function shared(processingMs = 0): Promise<{ redis: RedisServer; emulator: Emulator }> {
  const redis = await startRedis();
  cleanup.push(() => redis.stop());
  const accounts = await startAccounts([TEST_API_KEY, KEY_B], { processingMs });
  cleanup.push(() => accounts.close());
  origin = accounts.url;
  return { redis, emulator: accounts.emulators.get(TEST_API_KEY)! };
}
let origin: string | undefined;

/** One replica: the remote server on its own port, its state on the shared Redis. */
async function replica(
  redis: RedisServer,
  emulator: Emulator,
  options: { uploadDir?: string } = {},
): Promise<{ h: HttpHarness; state: SharedState }> {
  // Budgets as large as the harness's own: the emulator runs without limits here.
  const rateLimits = { postPerMinute: 100_000, getPerMinute: 100_000 };
  const state = await createRedisState({ url: redis.url, rateLimits, sharedUploads: options.uploadDir !== undefined, commandTimeoutMs: 300 });
  const env: Record<string, string> = { MINDEE_MCP_REDIS_URL: redis.url, ...(options.uploadDir ? { MINDEE_MCP_UPLOAD_DIR: options.uploadDir } : {}) };
  const h = await startHttpHarness({ argv: ['--auth', 'mindee-key'], env, sharedEmulator: emulator, connection: { state, baseUrl: origin } });
  cleanup.push(() => state.close());
  let closed = false;
  const close = h.close.bind(h);
  h.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  cleanup.push(() => h.close());
  return { h, state };
}

async function upload(h: HttpHarness, headers: Record<string, string>, body: Buffer) {
  const res = await h.fetch('/uploads?filename=march.pdf', { method: 'POST', headers: { 'content-type': 'application/pdf', ...headers }, body });
  return { status: res.status, body: res.json() };
}

describe.skipIf(!hasRedis)('uploads across replicas', () => {
  it('claims on one replica an upload made on another, once, by its owner only; a replica that stops leaves it to the others', async () => {
    const { redis, emulator } = await shared();
    const dir = await tempDir();
    cleanup.push(() => dir.close());
    const a = await replica(redis, emulator, { uploadDir: dir.dir });
    const b = await replica(redis, emulator, { uploadDir: dir.dir });

    const first = await upload(a.h, AS_A, makeSampleInvoicePdf());
    expect(first.status).toBe(201);
    const second = await upload(a.h, AS_A, makeSampleInvoicePdf());
    expect(await readdir(dir.dir)).toHaveLength(2);

    const stranger = await callTool(await b.h.client({ authorization: `Bearer ${KEY_B}` }), 'enqueue_document', { model_id: 'invoice', upload_id: first.body.upload_id });
    expect(textOf(stranger)).toMatch(/was not found: it does not exist, or was made with other credentials\./);
    const onB = await b.h.client(AS_A);
    const done = await callTool(onB, 'enqueue_document', { model_id: 'invoice', upload_id: first.body.upload_id });
    expect(done.isError, textOf(done)).toBeFalsy();
    expect(structuredOf('enqueue_document', done).result!.file.name).toBe('march.pdf');
    const again = await callTool(await a.h.client(AS_A), 'enqueue_document', { model_id: 'invoice', upload_id: first.body.upload_id });
    expect(textOf(again)).toMatch(/was already used: an upload is sent once/);

    // A shuts down: the upload it received and nobody used yet stays, for B (the one sent stays too, kept for its review).
    await a.h.close();
    expect((await readdir(dir.dir)).sort()).toEqual([first.body.upload_id, second.body.upload_id].sort());
    const later = await callTool(onB, 'enqueue_documents', { model_id: 'invoice', upload_ids: [second.body.upload_id] });
    expect(structuredOf('enqueue_documents', later).documents[0]).toMatchObject({ source: second.body.upload_id, status: 'Processed' });
    // Both sent: kept for their reviews, shown by B to their owner.
    const inferenceId = structuredOf('enqueue_documents', later).documents[0]!.inference_id as string;
    const read = await onB.readResource({ uri: `mindee://documents/${inferenceId}` });
    expect(Buffer.from((read.contents[0] as { blob: string }).blob, 'base64').equals(makeSampleInvoicePdf())).toBe(true);
    expect((await readdir(dir.dir)).sort()).toEqual([first.body.upload_id, second.body.upload_id].sort());
  });

  it('without a shared directory, keeps uploads per replica and says why another replica does not know one', async () => {
    const { redis, emulator } = await shared();
    const a = await replica(redis, emulator);
    const b = await replica(redis, emulator);
    const up = await upload(a.h, AS_A, makeSampleInvoicePdf());
    const onB = await callTool(await b.h.client(AS_A), 'enqueue_document', { model_id: 'invoice', upload_id: up.body.upload_id });
    expect(textOf(onB)).toMatch(/was received by another replica of this server \(each keeps its own uploads unless MINDEE_MCP_UPLOAD_DIR names a directory every replica mounts\)/);
    const onA = await callTool(await a.h.client(AS_A), 'enqueue_document', { model_id: 'invoice', upload_id: up.body.upload_id });
    expect(onA.isError, textOf(onA)).toBeFalsy();
  });

  it('refuses an upload with 503 while Redis does not answer, and keeps no file of it', async () => {
    const { redis, emulator } = await shared();
    const dir = await tempDir();
    cleanup.push(() => dir.close());
    const a = await replica(redis, emulator, { uploadDir: dir.dir });
    redis.pause();
    cleanup.push(async () => redis.resume());
    const refused = await a.h.fetch('/uploads', { method: 'POST', headers: { 'content-type': 'application/pdf', ...AS_A }, body: makeSampleInvoicePdf() });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.json().error_description).toBe('Uploads cannot be taken now: Uploads are recorded in the shared state (Redis), which cannot be reached now: try again in a moment.');
    // Where Redis is goes to the log only: a remote caller learns nothing of the deployment.
    expect(refused.text).not.toMatch(/redis:\/\/|127\.0\.0\.1/);
    expect(await readdir(dir.dir)).toEqual([]);
  });
});

describe.skipIf(!hasRedis)('MCP tasks across replicas', () => {
  it('follows, cancels and answers on one replica a task started on another, whose wait stops', async () => {
    const { redis, emulator } = await shared(Infinity);
    const a = await replica(redis, emulator);
    const b = await replica(redis, emulator);
    const created = new Promise<string>((resolve) => emulator.once('job-created', (job: { id: string }) => resolve(job.id)));
    const onA = await a.h.client(AS_A);
    const { task } = await onA.request(
      { method: 'tools/call', params: { name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf' }, task: {} } },
      CreateTaskResultSchema,
    );
    const jobId = await created;
    const waits = a.state.jobEvents as RedisJobEvents;
    await vi.waitFor(() => expect(waits.watched).toBe(1));

    const onB = await b.h.client(AS_A);
    await vi.waitFor(async () => expect((await onB.experimental.tasks.getTask(task.taskId)).statusMessage).toContain(`job ${jobId}`));
    expect((await onB.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toEqual([task.taskId]);
    // Another key's caller does not see it, on either replica.
    await expect((await b.h.client({ authorization: `Bearer ${KEY_B}` })).experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/i);

    const cancelled = await onB.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled.status).toBe('cancelled');
    // A's wait for the job ends: nothing there polls it any more.
    await vi.waitFor(() => expect(waits.watched).toBe(0));
    const result = await onA.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    recordOutput('tasks/result on A', result);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Mindee cannot cancel a job');
  });

  it('stores the result of a task that ends while Redis does not answer, once it answers again', async () => {
    const { redis, emulator } = await shared(Infinity);
    const a = await replica(redis, emulator);
    const b = await replica(redis, emulator);
    const created = new Promise<string>((resolve) => emulator.once('job-created', (job: { id: string }) => resolve(job.id)));
    const { task } = await (await a.h.client(AS_A)).request(
      { method: 'tools/call', params: { name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf' }, task: {} } },
      CreateTaskResultSchema,
    );
    const jobId = await created;
    // A has polled through the shared budget once: while Redis is away, it polls on its share of
    // what was used (a process that never asked counts the whole window as used, the safe side).
    await new Promise<void>((resolve) => {
      const polled = (q: RequestRecord) => {
        if (q.method !== 'GET' || q.path !== `/v2/jobs/${jobId}`) return;
        emulator.off('request', polled);
        resolve();
      };
      emulator.on('request', polled);
    });
    const stalled = a.h.nextLog((line) => line.includes(`task ${task.taskId} has ended, but the task store cannot be reached`));
    redis.pause();
    emulator.completeJob(jobId);
    await stalled;
    redis.resume();
    const result = await (await b.h.client(AS_A)).experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    recordOutput('tasks/result on B', result);
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(structuredOf('enqueue_document', result).result!.fields!.invoice_number).toBeTruthy();
  });
});

describe.skipIf(!hasRedis)('verdicts across replicas', () => {
  it('a result verified on one replica is answered with the same verdict on another, which knows what Mindee refused then', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const { demoModels } = await import('mindee-v2-emulator');
    const models = demoModels().map((m) => (m.id === DEMO_MODELS.invoice ? { ...m, refusedOptions: ['confidence' as const] } : m));
    const accounts = await startAccounts([TEST_API_KEY], { processingMs: 0, models });
    cleanup.push(() => accounts.close());
    origin = accounts.url;
    const emulator = accounts.emulators.get(TEST_API_KEY)!;
    const a = await replica(redis, emulator);
    const b = await replica(redis, emulator);
    const onA = await a.h.client(AS_A);
    const made = await callTool(onA, 'enqueue_document', { model_id: DEMO_MODELS.invoice, file_base64: makeSampleInvoicePdf().toString('base64'), filename: 'inv.pdf' });
    const review = structuredOf('enqueue_document', made).result!.review;
    expect(review!.unchecked).toEqual(['confidence: Mindee refused the confidence option for this account, so the result has none']);
    // Replica B did not enqueue the job: made anew there, the verdict could only say the option was off.
    const onB = await b.h.client(AS_A);
    const read = await callTool(onB, 'get_inference_result', { inference_id: structuredOf('enqueue_document', made).result!.inference_id });
    expect(structuredOf('get_inference_result', read).review).toEqual(review);
  });
});
