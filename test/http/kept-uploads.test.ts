/**
 * A sent upload is kept for the review of its result: the documents resource serves its bytes to
 * the caller that uploaded it (another caller: unknown), on memory and Redis state; each caller's
 * kept uploads have a bound of their own (the oldest goes first, its review says so), they do not
 * count among the uploads waiting, and they expire with their result.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeDisagreeingInvoicePdf, makePng } from 'mindee-v2-emulator/samples';
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { systemClock, type Clock } from '../../src/lib/clock.js';
import { createRedisState } from '../../src/state/redis/index.js';
import { textOf } from '../helpers/harness.js';
import { callTool, startHttpHarness, tempDir, type HttpHarness, type HttpHarnessOptions } from '../helpers/http-harness.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { addSecret } from '../setup/secrets.js';

const A = 'tok_keeper_a_0123456789abcdef';
const B = 'tok_keeper_b_0123456789abcdef';
addSecret(A);
addSecret(B);
const AS_A = { authorization: `Bearer ${A}` };
const AS_B = { authorization: `Bearer ${B}` };

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function serve(options: HttpHarnessOptions = {}): Promise<HttpHarness> {
  const h = await startHttpHarness({ ...options, argv: ['--auth', 'token', ...(options.argv ?? [])], env: { MINDEE_MCP_HTTP_TOKENS: `${A},${B}`, ...options.env } });
  cleanup.push(() => h.close());
  return h;
}

async function upload(h: HttpHarness, body: Buffer, type = 'application/pdf'): Promise<string> {
  const res = await h.fetch('/uploads?filename=invoice.pdf', { method: 'POST', headers: { 'content-type': type, ...AS_A }, body });
  expect(res.status).toBe(201);
  return (res.json() as { upload_id: string }).upload_id;
}

/** Sends an upload and answers its inference id. */
async function send(client: Client, uploadId: string): Promise<string> {
  const done = await callTool(client, 'enqueue_document', { model_id: DEMO_MODELS.invoice, upload_id: uploadId });
  expect(done.isError).toBeFalsy();
  return (done.structuredContent as { job: { inference_id: string } }).job.inference_id;
}

async function review(client: Client, inferenceId: string): Promise<{ uri: string | null; reason?: string; mime_type?: string }> {
  const r = await callTool(client, 'review_result', { inference_id: inferenceId });
  expect(r.isError).toBeFalsy();
  return (r.structuredContent as { document: { uri: string | null; reason?: string } }).document;
}

async function documentBytes(client: Client, inferenceId: string): Promise<Buffer> {
  const read = await client.readResource({ uri: `mindee://documents/${inferenceId}` });
  return Buffer.from((read.contents[0] as { blob: string }).blob, 'base64');
}

/** The review of an uploaded document gets the upload's bytes, for its owner only. */
async function reviewedByItsOwnerOnly(h: HttpHarness): Promise<void> {
  const pdf = makeDisagreeingInvoicePdf('lines_sum');
  const a = await h.client(AS_A);
  const id = await send(a, await upload(h, pdf));
  // Kept, not deleted once sent.
  expect(await readdir(h.remote.uploads.dir)).toHaveLength(1);
  expect(await review(a, id)).toEqual({ uri: `mindee://documents/${id}`, mime_type: 'application/pdf', pages: 1 });
  expect((await documentBytes(a, id)).equals(pdf)).toBe(true);
  const b = await h.client(AS_B);
  await expect(b.readResource({ uri: `mindee://documents/${id}` })).rejects.toThrow(/No document for/);
  const stranger = await callTool(b, 'review_result', { inference_id: id });
  expect(stranger.isError).toBe(true);
}

describe('uploads kept for review', () => {
  it('serves the upload to its owner through the documents resource, and to no one else (memory state)', async () => {
    await reviewedByItsOwnerOnly(await serve());
  });

  it.skipIf(!hasRedis)('does the same with Redis state and a shared upload directory', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const dir = await tempDir();
    cleanup.push(() => dir.close());
    const state = await createRedisState({ url: redis.url, rateLimits: { postPerMinute: 100_000, getPerMinute: 100_000 }, sharedUploads: true, commandTimeoutMs: 300 });
    cleanup.push(() => state.close());
    const h = await serve({ env: { MINDEE_MCP_REDIS_URL: redis.url, MINDEE_MCP_UPLOAD_DIR: dir.dir }, connection: { state } });
    await reviewedByItsOwnerOnly(h);
    // Kept past a replica's shutdown, like an upload not yet used: the store is shared.
    const [file] = await readdir(dir.dir);
    expect(await readFile(join(dir.dir, file!))).toHaveLength(makeDisagreeingInvoicePdf('lines_sum').length);
  });

  it("evicts the caller's oldest kept upload past its bound (its review says so), and kept uploads do not block new ones", async () => {
    // One upload may wait at a time; two may be kept.
    const h = await serve({ uploadLimits: { perOwner: 1 }, keptUploadLimits: { count: 2 } });
    const a = await h.client(AS_A);
    const ids: string[] = [];
    const uploads: string[] = [];
    for (let i = 0; i < 3; i++) {
      uploads.push(await upload(h, makePng(8 + i, 8)));
      ids.push(await send(a, uploads[i]!));
    }
    expect((await readdir(h.remote.uploads.dir)).sort()).toEqual(uploads.slice(1).sort());
    const first = await review(a, ids[0]!);
    expect(first.uri).toBeNull();
    expect(first.reason).toMatch(/no longer kept: .* at most 2 files and 200 MB per caller \(the oldest goes first\)/);
    expect(await review(a, ids[2]!)).toMatchObject({ uri: `mindee://documents/${ids[2]}`, mime_type: 'image/png' });
    // Sent and kept, not used again.
    const again = await callTool(a, 'enqueue_document', { model_id: DEMO_MODELS.invoice, upload_id: uploads[2] });
    expect(textOf(again)).toMatch(/was already used/);
  });

  it('counts kept uploads in the upload directory, but a full directory makes room for a new upload with the oldest kept', async () => {
    const h = await serve({ uploadLimits: { files: 2 } });
    const a = await h.client(AS_A);
    const first = await send(a, await upload(h, makePng(8, 8)));
    const second = await send(a, await upload(h, makePng(9, 8)));
    expect(await readdir(h.remote.uploads.dir)).toHaveLength(2);
    const third = await upload(h, makePng(10, 8));
    expect(await readdir(h.remote.uploads.dir)).toHaveLength(2);
    expect((await review(a, first)).reason).toMatch(/gives its place to new uploads when the upload directory is full/);
    expect((await review(a, second)).uri).not.toBeNull();
    expect(await readdir(h.remote.uploads.dir)).toContain(third);
  });

  it('stops serving a kept upload once its result would expire, and the sweep deletes its file', async () => {
    let now = Date.now();
    const clock: Clock = { ...systemClock, now: () => now };
    const h = await serve({ env: { MINDEE_MCP_CACHE_TTL: '600' }, clock });
    const a = await h.client(AS_A);
    const id = await send(a, await upload(h, makeDisagreeingInvoicePdf('wrong_tax')));
    now += 600_000 - 1;
    expect((await review(a, id)).uri).not.toBeNull();
    now += 1;
    // Not served after expiry, swept or not.
    expect((await review(a, id)).reason).toMatch(/no longer kept.*\(10 minutes\)/);
    await expect(a.readResource({ uri: `mindee://documents/${id}` })).rejects.toThrow(/no longer kept/);
    expect(await readdir(h.remote.uploads.dir)).toHaveLength(1);
    await h.remote.uploads.sweep();
    expect(await readdir(h.remote.uploads.dir)).toEqual([]);
  });
});
