/**
 * POST /uploads and upload_id: a document reaches a remote server as a raw or multipart body,
 * passes every ingress check, and is sent once, by the principal that uploaded it, within its
 * lifetime; local paths are refused over HTTP unless directories were configured.
 */
import { readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { makePdf, makePng, makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { systemClock, type Clock } from '../../src/lib/clock.js';
import { startAccounts, type Accounts } from '../helpers/accounts.js';
import { startHarness, textOf } from '../helpers/harness.js';
import { callTool, startHttpHarness, tempDir, type HttpHarness } from '../helpers/http-harness.js';
import { TEST_API_KEY, addSecret, recordOutput } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

const KEY_B = 'md_test_UPLOADER_B_4e5f6a7b8c9d0e1f2a3b';
addSecret(KEY_B);

let h: HttpHarness | undefined;
let accounts: Accounts | undefined;
afterEach(async () => {
  await h?.close();
  await accounts?.close();
  h = undefined;
  accounts = undefined;
});

const AS_A = { authorization: `Bearer ${TEST_API_KEY}` };

async function upload(headers: Record<string, string>, body: Buffer | string, query = '') {
  const res = await h!.fetch(`/uploads${query}`, { method: 'POST', headers: { 'content-type': 'application/pdf', ...headers }, body });
  return { status: res.status, body: res.json(), headers: res.headers };
}

describe('POST /uploads', () => {
  it('takes a raw body, answers an id and an expiry, and the id enqueues the document once', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const up = await upload(AS_A, makeSampleInvoicePdf(), '?filename=march.pdf');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ upload_id: expect.stringMatching(/^up_/), filename: 'march.pdf', bytes: makeSampleInvoicePdf().length });
    expect(Date.parse(up.body.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(await readdir(h.remote.uploads.dir)).toHaveLength(1);

    const client = await h.client(AS_A);
    const done = await callTool(client, 'enqueue_document', { model_id: 'invoice', upload_id: up.body.upload_id });
    expect(done.isError).toBeFalsy();
    expect(structuredOf('enqueue_document', done).result!.fields!.invoice_number).toBe('INV-2026-0042');
    expect(structuredOf('enqueue_document', done).result!.file.name).toBe('march.pdf');
    // Kept once sent, for the review of its result (kept-uploads.test.ts), but not sent again.
    expect(await readdir(h.remote.uploads.dir)).toEqual([up.body.upload_id]);

    const again = await callTool(client, 'enqueue_document', { model_id: 'invoice', upload_id: up.body.upload_id });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/was already used: an upload is sent once/);
  });

  it('leaves an upload it had no time to send out of the call that resumes: an upload is sent once, by its id', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'], connection: { rateLimits: { postPerMinute: 1, getPerMinute: 100_000 } } });
    const ids: string[] = [];
    for (const name of ['a.pdf', 'b.pdf', 'c.pdf']) ids.push((await upload(AS_A, makeSampleInvoicePdf(), `?filename=${name}`)).body.upload_id);
    const client = await h.client(AS_A);
    const done = await callTool(client, 'enqueue_documents', { model_id: 'invoice', upload_ids: ids, max_wait_seconds: 0.5 });
    const sc = structuredOf('enqueue_documents', done);
    expect(sc.counts).toMatchObject({ processed: 1, not_sent: 2 });
    // Not a path of the server's upload directory in file_paths: the caller uploads those again.
    expect(sc.next_step).toBeNull();
  });

  it('takes the first file of a multipart form, with its file name', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const form = new FormData();
    form.append('note', 'ignored');
    form.append('file', new Blob([makePng(16, 16)], { type: 'image/png' }), 'scan.png');
    const res = await fetch(`${h.url}/uploads`, { method: 'POST', headers: AS_A, body: form });
    const body = (await res.json()) as { upload_id: string; filename: string };
    recordOutput('upload', body);
    expect(res.status).toBe(201);
    expect(body.filename).toBe('scan.png');
    const client = await h.client(AS_A);
    const done = await callTool(client, 'enqueue_documents', { model_id: 'invoice', upload_ids: [body.upload_id] });
    expect(structuredOf('enqueue_documents', done).documents[0]).toMatchObject({ source: body.upload_id, status: 'Processed' });
  });

  it('refuses a document over the limit with 413, from its declared length or as it streams', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'], maxUploadBytes: 64 * 1024 });
    const declared = await upload(AS_A, Buffer.alloc(200 * 1024, 1));
    expect(declared.status).toBe(413);
    expect(declared.body.error_description).toMatch(/over the 64 KB limit for one document/);
    // No length declared: cut off once past the limit.
    const chunks = Readable.from((function* () {
      yield Buffer.from('%PDF-1.7\n');
      for (let i = 0; i < 20; i++) yield Buffer.alloc(8 * 1024, 32);
    })());
    const streamed = await request(`${h.url}/uploads`, { method: 'POST', headers: { ...AS_A, 'content-type': 'application/pdf' }, body: chunks }).catch((e: Error) => e);
    if (!(streamed instanceof Error)) {
      expect(streamed.statusCode).toBe(413);
      await streamed.body.dump();
    }
    expect(await readdir(h.remote.uploads.dir)).toEqual([]);
    const metrics = await h.fetch('/metrics');
    expect(metrics.text).toMatch(/mindee_mcp_uploads_total\{outcome="too_large"\} 2/);
  });

  it.each([
    ['a ZIP archive', Buffer.from('PK\u0003\u0004' + 'x'.repeat(200)), /looks like a ZIP archive/],
    ['an empty file', Buffer.alloc(0), /is empty/],
    ['an encrypted PDF', makePdf({ pages: [[]], encrypted: true }), /password-protected/],
  ])('refuses %s with 422 and says why', async (_what, bytes, message) => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const res = await upload(AS_A, bytes, '?filename=doc.pdf');
    expect(res.status).toBe(422);
    expect(res.body.error_description).toMatch(message);
    expect(await readdir(h.remote.uploads.dir)).toEqual([]);
  });

  it('needs the same authentication as /mcp', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const res = await upload({}, makeSampleInvoicePdf());
    expect(res.status).toBe(401);
  });

  it('answers another principal as if the upload did not exist, and leaves it usable by its owner', async () => {
    // Two Mindee accounts, so the second caller's key is one Mindee accepts.
    accounts = await startAccounts([TEST_API_KEY, KEY_B]);
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'], connection: { baseUrl: accounts.url } });
    const up = await upload(AS_A, makeSampleInvoicePdf());
    const b = await h.client({ authorization: `Bearer ${KEY_B}` });
    const stolen = await callTool(b, 'enqueue_document', { model_id: 'invoice', upload_id: up.body.upload_id });
    expect(stolen.isError).toBe(true);
    expect(textOf(stolen)).toMatch(/was not found: it does not exist, or was made with other credentials/);
    const a = await h.client(AS_A);
    const own = await callTool(a, 'enqueue_document', { model_id: 'invoice', upload_id: up.body.upload_id, wait: false });
    expect(own.isError).toBeFalsy();
  });

  it('expires after 15 minutes (an injected clock), and its file is deleted', async () => {
    let now = Date.now();
    const clock: Clock = { ...systemClock, now: () => now };
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'], clock });
    const first = await upload(AS_A, makeSampleInvoicePdf());
    const second = await upload(AS_A, makeSampleInvoicePdf());
    now += 15 * 60_000 + 1;
    const client = await h.client(AS_A);
    const late = await callTool(client, 'enqueue_document', { model_id: 'invoice', upload_id: first.body.upload_id });
    expect(late.isError).toBe(true);
    expect(textOf(late)).toMatch(/has expired \(uploads last 15 minutes\)/);
    expect(await readdir(h.remote.uploads.dir)).toHaveLength(1);
    // The sweep deletes the files of the others.
    await h.remote.uploads.sweep();
    expect(await readdir(h.remote.uploads.dir)).toEqual([]);
    expect(second.status).toBe(201);
  });

  it('keeps uploads in MINDEE_MCP_UPLOAD_DIR: on shutdown (no other replica to claim them) it deletes their files and keeps the directory', async () => {
    const tmp = await tempDir();
    try {
      const dir = join(tmp.dir, 'made-on-start');
      h = await startHttpHarness({ argv: ['--auth', 'mindee-key', '--upload-dir', dir] });
      expect(h.remote.uploads.dir).toBe(dir);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      const up = await upload(AS_A, makeSampleInvoicePdf());
      expect(await readdir(dir)).toEqual([up.body.upload_id]);
      await h.close();
      h = undefined;
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await tmp.close();
    }
  });

  it('sweeps from MINDEE_MCP_UPLOAD_DIR the upload files no record names, an hour after they could have expired (sent and kept as long as a result), and nothing else', async () => {
    const tmp = await tempDir();
    try {
      let now = Date.now();
      const clock: Clock = { ...systemClock, now: () => now };
      h = await startHttpHarness({ argv: ['--auth', 'mindee-key'], env: { MINDEE_MCP_UPLOAD_DIR: tmp.dir }, clock });
      const live = await upload(AS_A, makeSampleInvoicePdf());
      // Left by a replica that died mid-upload, or whose records a restarted Redis lost.
      const orphan = 'up_ORPHANED_0123456789abcdef';
      await writeFile(join(tmp.dir, orphan), 'x');
      await utimes(join(tmp.dir, orphan), new Date(now), new Date(now));
      await writeFile(join(tmp.dir, 'notes.txt'), 'not ours');
      now += 15 * 60_000 - 1;
      await h.remote.uploads.sweep();
      expect((await readdir(tmp.dir)).sort()).toEqual(['notes.txt', orphan, live.body.upload_id].sort());
      // Kept as long as a result (MINDEE_MCP_CACHE_TTL, 1 h by default) had it been sent, then the hour.
      now += 3600_000 + 3600_000;
      await h.remote.uploads.sweep();
      expect((await readdir(tmp.dir)).sort()).toEqual(['notes.txt', orphan].sort());
      now += 2;
      await h.remote.uploads.sweep();
      expect(await readdir(tmp.dir)).toEqual(['notes.txt']);
    } finally {
      await tmp.close();
    }
  });

  it('refuses to start with an upload directory it cannot use, saying which and what to do', async () => {
    const tmp = await tempDir();
    try {
      const file = join(tmp.dir, 'a-file');
      await writeFile(file, 'x');
      await expect(startHttpHarness({ env: { MINDEE_MCP_UPLOAD_DIR: file } })).rejects.toThrow(
        new RegExp(`^MINDEE_MCP_UPLOAD_DIR ${file} cannot be used \\(.+\\): make it a directory this server may read and write, or mount the shared volume there\\.$`),
      );
    } finally {
      await tmp.close();
    }
  });

  it('limits the uploads one principal may leave waiting (429)', async () => {
    // Two Mindee accounts, so the second caller's key is one Mindee accepts.
    accounts = await startAccounts([TEST_API_KEY, KEY_B]);
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'], connection: { baseUrl: accounts.url } });
    for (let i = 0; i < 20; i++) expect((await upload(AS_A, makePng(4, 4))).status).toBe(201);
    const over = await upload(AS_A, makePng(4, 4));
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('60');
    expect((await upload({ authorization: `Bearer ${KEY_B}` }, makePng(4, 4))).status).toBe(201);
  });
});

describe('local files on a remote server', () => {
  it('refuses file_path, file_paths and save_to, pointing at url, file_base64 and uploads', async () => {
    h = await startHttpHarness();
    const client = await h.client();
    const path = await callTool(client, 'enqueue_document', { model_id: 'invoice', file_path: '/etc/hosts' });
    expect(path.isError).toBe(true);
    expect(textOf(path)).toMatch(/file_path cannot be used: this server runs remotely[\s\S]*url[\s\S]*file_base64[\s\S]*\/uploads[\s\S]*upload_id/);
    const paths = await callTool(client, 'enqueue_documents', { model_id: 'invoice', file_paths: ['/etc'] });
    expect(textOf(paths)).toMatch(/file_paths cannot be used/);
    const save = await callTool(client, 'get_inference_result', { inference_id: 'abc', save_to: 'x.json' });
    expect(textOf(save)).toMatch(/save_to cannot be used/);
    expect(h.emulator.requests).toHaveLength(0);
  });

  it('reads local files from directories configured explicitly (a mounted volume)', async () => {
    const tmp = await tempDir();
    try {
      await writeFile(join(tmp.dir, 'invoice.pdf'), makeSampleInvoicePdf());
      h = await startHttpHarness({ argv: [tmp.dir] });
      const client = await h.client();
      const done = await callTool(client, 'enqueue_document', { model_id: 'invoice', file_path: join(tmp.dir, 'invoice.pdf') });
      expect(done.isError).toBeFalsy();
    } finally {
      await tmp.close();
    }
  });

  it('has no uploads on a local (stdio) server: the argument is neither offered nor taken', async () => {
    const local = await startHarness();
    try {
      const { tools } = await local.mcp.listTools();
      for (const tool of tools) expect(Object.keys(tool.inputSchema.properties ?? {})).not.toContain('upload_id');
      const result = await local.call('enqueue_document', { model_id: '90b0501c-f03f-478a-a132-3a0a2e57dce3', upload_id: 'up_0123456789abcdefghij' });
      expect(textOf(result)).toMatch(/No document was given/);
    } finally {
      await local.close();
    }
  });
});

describe('the disk is everyone\'s', () => {
  it('takes no upload from a key Mindee refuses (mindee-key mode)', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const invented = 'md_invented_key_0123456789abcdef';
    addSecret(invented);
    const refused = await upload({ authorization: `Bearer ${invented}` }, makeSampleInvoicePdf());
    expect(refused.status).toBe(401);
    expect(refused.body.error_description).toContain('Mindee refused the API key sent with this request');
    expect(await readdir(h.remote.uploads.dir)).toEqual([]);
    expect((await upload(AS_A, makeSampleInvoicePdf())).status).toBe(201);
  });

  it('counts uploads still arriving, so parallel ones cannot pass the limit together', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const statuses = await Promise.all(Array.from({ length: 30 }, () => upload(AS_A, makeSampleInvoicePdf()).then((r) => r.status)));
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });
});
