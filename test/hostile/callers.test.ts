/**
 * Issue 16: one caller never reaches another's data. Over HTTP, against the memory and the Redis
 * state: callers that share the server's key (two tokens, two OAuth subjects, two long subjects
 * with one start) and callers with their own keys. Caller B, holding A's ids, is answered from
 * the server's records exactly as for an id that never was — same words — and no request reaches
 * Mindee for it; A's results never show in B's list. Each case failed on the code before the fix:
 * B read A's job, result and JSON, and a subject cut at 128 characters or a token without `sub`
 * made two identities one.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { DEMO_MODELS, type Emulator } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { FormData, fetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SharedState } from '../../src/state/index.js';
import { createRedisState } from '../../src/state/redis/index.js';
import { startAccounts, type Accounts } from '../helpers/accounts.js';
import { startHarness, textOf } from '../helpers/harness.js';
import { callTool, startHttpHarness, type HttpHarness, type HttpHarnessOptions } from '../helpers/http-harness.js';
import { hasRedis, startRedis, type RedisServer } from '../helpers/redis.js';
import { TEST_API_KEY, addSecret } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

const TOKEN_A = 'tok_alice_3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';
const TOKEN_B = 'tok_bob_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e';
const KEY_B = 'md_test_CALLER_B_ACCOUNT_4c5d6e7f8a9b0c1d2e';
addSecret(TOKEN_A);
addSecret(TOKEN_B);
addSecret(KEY_B);

const ISSUER = 'https://issuer.test';
const PUBLIC_URL = 'https://mcp.test';
const NEVER_MADE = '00000000-0000-4000-8000-00000000dead';

let jwks: Server;
let jwksUrl: string;
let signingKey: CryptoKey;
beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

/** An access token of the issuer; `sub: null` leaves the subject out (a client's own token). */
async function accessToken(sub: string | null, claims: Record<string, unknown> = {}): Promise<string> {
  let jwt = new SignJWT({ scope: 'mindee:read mindee:enqueue', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience(`${PUBLIC_URL}/mcp`)
    .setIssuedAt()
    .setExpirationTime('5m');
  if (sub !== null) jwt = jwt.setSubject(sub);
  const token = await jwt.sign(signingKey);
  addSecret(token);
  return token;
}

const OAUTH_ENV = { MINDEE_MCP_AUTH: 'oauth', MINDEE_MCP_OAUTH_ISSUER: ISSUER, MINDEE_MCP_PUBLIC_URL: PUBLIC_URL };
const TOKEN_ENV = { MINDEE_MCP_AUTH: 'token', MINDEE_MCP_HTTP_TOKENS: `${TOKEN_A},${TOKEN_B}` };

interface Backend {
  name: string;
  skip: boolean;
}

describe.each<Backend>([
  { name: 'memory', skip: false },
  { name: 'Redis', skip: !hasRedis },
])('callers kept apart, $name state', (backend) => {
  let redis: RedisServer | undefined;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    if (backend.name === 'Redis' && !backend.skip) redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  /** The remote server on this backend's state (a fresh Redis prefix per server). */
  async function serve(options: HttpHarnessOptions): Promise<HttpHarness> {
    let state: SharedState | undefined;
    if (redis) {
      state = await createRedisState({ url: redis.url, prefix: `test:${randomUUID()}:`, rateLimits: { postPerMinute: 100_000, getPerMinute: 100_000 }, commandTimeoutMs: 2000 });
      const s = state;
      cleanup.push(() => s.close());
    }
    const h = await startHttpHarness({ ...options, env: { ...(options.env?.MINDEE_MCP_AUTH === 'oauth' ? { MINDEE_MCP_OAUTH_JWKS_URL: jwksUrl } : {}), ...options.env }, connection: { ...options.connection, ...(state ? { state } : {}) } });
    cleanup.push(() => h.close());
    return h;
  }

  /** Every request the Mindee accounts behind the server have had. */
  const requestsOf = (emulators: Emulator[]) => emulators.reduce((n, e) => n + e.requests.length, 0);

  /**
   * A enqueues and reads its result; B, with A's ids, is answered as for ids that never were,
   * with no request to Mindee, and sees nothing of A's in its list; A still reads everything.
   */
  async function crossCaller(a: Client, b: Client, emulators: Emulator[]): Promise<void> {
    const done = await callTool(a, 'enqueue_document', { model_id: 'invoice', file_base64: makeSampleInvoicePdf().toString('base64'), filename: 'a.pdf' });
    expect(done.isError, textOf(done)).toBeFalsy();
    const { job_id, inference_id: inferenceId } = structuredOf('enqueue_document', done).result!;
    const jobId = job_id!;
    const uri = `mindee://inferences/${inferenceId}`;

    const before = requestsOf(emulators);
    const job = await callTool(b, 'get_job_status', { job_id: jobId });
    const result = await callTool(b, 'get_inference_result', { inference_id: inferenceId });
    const waited = await callTool(b, 'get_job_status', { job_id: jobId, wait_seconds: 1 });
    const resumed = await callTool(b, 'enqueue_documents', { job_ids: [jobId] });
    // Review (issue 20): B can neither start a review of A's result nor record a decision on it.
    const reviewed = await callTool(b, 'review_result', { inference_id: inferenceId });
    const decided = await callTool(b, 'review_result', { inference_id: inferenceId, decisions: [{ path: 'invoice_number', action: 'correct', value: 'FORGED' }] });
    const read = await b.readResource({ uri }).then(
      () => 'read',
      (error: unknown) => String(error),
    );
    expect((await b.listResources()).resources.map((r) => r.uri)).not.toContain(uri);
    // Not one request reached Mindee for A's ids: nothing to time, nothing deleted on fetch.
    expect(requestsOf(emulators)).toBe(before);

    for (const answer of [job, result, waited, resumed, reviewed, decided]) {
      expect(answer.isError || JSON.stringify(answer.structuredContent).includes('No job with id'), textOf(answer)).toBe(true);
      expect(JSON.stringify(answer)).not.toContain('INV-2026-0042');
    }
    expect(read).toMatch(/-32002|not known to you|is known to you/);

    // The same words as for an id that never was.
    const never = (id: string, text: string) => text.split(id).join('<id>');
    expect(never(jobId, textOf(job))).toBe(never(NEVER_MADE, textOf(await callTool(b, 'get_job_status', { job_id: NEVER_MADE }))));
    expect(never(inferenceId, textOf(result))).toBe(never(NEVER_MADE, textOf(await callTool(b, 'get_inference_result', { inference_id: NEVER_MADE }))));
    expect(never(inferenceId, textOf(decided))).toBe(never(NEVER_MADE, textOf(await callTool(b, 'review_result', { inference_id: NEVER_MADE, decisions: [{ path: 'invoice_number', action: 'accept' }] }))));

    // A still has all of it.
    expect((await callTool(a, 'get_job_status', { job_id: jobId })).structuredContent).toMatchObject({ job: { status: 'Processed' } });
    expect(JSON.stringify((await callTool(a, 'get_inference_result', { inference_id: inferenceId })).structuredContent)).toContain('INV-2026-0042');
    expect((await callTool(a, 'review_result', { inference_id: inferenceId })).structuredContent).toMatchObject({ decisions: [], reviewed: false });
    expect((await a.listResources()).resources.map((r) => r.uri)).toEqual([uri]);
  }

  it.skipIf(backend.skip)('two bearer tokens', async () => {
    const h = await serve({ env: TOKEN_ENV });
    await crossCaller(await h.client({ authorization: `Bearer ${TOKEN_A}` }), await h.client({ authorization: `Bearer ${TOKEN_B}` }), [h.emulator]);
  });

  it.skipIf(backend.skip)('two OAuth subjects; a client token whose client_id is a user\'s name is not that user', async () => {
    const h = await serve({ env: OAUTH_ENV });
    const alice = await h.client({ authorization: `Bearer ${await accessToken('alice')}` });
    // A client-credentials token used to take client_id as its subject: it is someone else.
    const impostor = await h.client({ authorization: `Bearer ${await accessToken('service-7', { client_id: 'alice', azp: 'alice' })}` });
    await crossCaller(alice, impostor, [h.emulator]);
  });

  it.skipIf(backend.skip)('two OAuth subjects of 200 characters with the same first 128', async () => {
    const h = await serve({ env: OAUTH_ENV });
    const stem = 'x'.repeat(128);
    const a = await h.client({ authorization: `Bearer ${await accessToken(`${stem}${'a'.repeat(72)}`)}` });
    const b = await h.client({ authorization: `Bearer ${await accessToken(`${stem}${'b'.repeat(72)}`)}` });
    await crossCaller(a, b, [h.emulator]);
  });

  it.skipIf(backend.skip)('two Mindee keys (mindee-key mode)', async () => {
    const accounts: Accounts = await startAccounts([TEST_API_KEY, KEY_B]);
    cleanup.push(() => accounts.close());
    const h = await serve({ argv: ['--auth', 'mindee-key'], env: { MINDEE_V2_API_KEY: '' }, sharedEmulator: accounts.emulators.get(TEST_API_KEY)!, connection: { baseUrl: accounts.url } });
    await crossCaller(await h.client({ authorization: `Bearer ${TEST_API_KEY}` }), await h.client({ 'x-mindee-api-key': KEY_B }), [...accounts.emulators.values()]);
  });

  it.skipIf(backend.skip)('an upload is its maker\'s only', async () => {
    const h = await serve({ env: TOKEN_ENV });
    const up = await h.fetch('/uploads?filename=a.pdf', { method: 'POST', headers: { 'content-type': 'application/pdf', authorization: `Bearer ${TOKEN_A}` }, body: makeSampleInvoicePdf() });
    expect(up.status).toBe(201);
    const b = await h.client({ authorization: `Bearer ${TOKEN_B}` });
    const taken = await callTool(b, 'enqueue_document', { model_id: 'invoice', upload_id: up.json().upload_id });
    expect(taken.isError).toBe(true);
    expect(textOf(taken)).toMatch(/was not found/);
    expect(h.emulator.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it.skipIf(backend.skip)('refuses, with 401 saying why, an OAuth token without a subject', async () => {
    const h = await serve({ env: OAUTH_ENV });
    const token = await accessToken(null, { client_id: 'alice', azp: 'alice' });
    const res = await h.fetch('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(res.json().error_description).toMatch(/no subject \(sub claim\)/);
  });

  /** A job made with the server's key outside the server (the platform, another program). */
  async function outsideJob(emulator: Emulator): Promise<string> {
    const form = new FormData();
    form.set('model_id', DEMO_MODELS.invoice);
    form.set('url', 'https://example.com/outside.pdf');
    const res = await fetch(`${emulator.url}/v2/inferences/enqueue`, { method: 'POST', headers: { authorization: TEST_API_KEY }, body: form });
    expect(res.status).toBe(202);
    return ((await res.json()) as { job: { id: string } }).job.id;
  }

  it.skipIf(backend.skip)('refuses a job made outside the server by default in token mode, without asking Mindee', async () => {
    const h = await serve({ env: TOKEN_ENV });
    const outside = await outsideJob(h.emulator);
    const b = await h.client({ authorization: `Bearer ${TOKEN_B}` });
    const before = h.emulator.requests.length;
    const answer = await callTool(b, 'get_job_status', { job_id: outside });
    expect(answer.isError).toBe(true);
    expect(textOf(answer)).toContain(`No job with id ${outside} is known to you`);
    expect(h.emulator.requests.length).toBe(before);
  });

  it.skipIf(backend.skip)('MINDEE_MCP_ALLOW_FOREIGN_JOBS reads jobs made outside the server, and still never another caller\'s', async () => {
    const h = await serve({ env: { ...TOKEN_ENV, MINDEE_MCP_ALLOW_FOREIGN_JOBS: 'true' } });
    const outside = await outsideJob(h.emulator);
    const a = await h.client({ authorization: `Bearer ${TOKEN_A}` });
    const b = await h.client({ authorization: `Bearer ${TOKEN_B}` });
    const status = await callTool(b, 'get_job_status', { job_id: outside });
    expect(status.isError, textOf(status)).toBeFalsy();
    const inferenceId = structuredOf('get_job_status', status).job.inference_id!;
    const read = await callTool(b, 'get_inference_result', { inference_id: inferenceId });
    expect(read.isError, textOf(read)).toBeFalsy();
    expect(read.structuredContent).toMatchObject({ inference_id: inferenceId });
    await crossCaller(a, b, [h.emulator]);
  });

  it.skipIf(backend.skip)('keeps for its owner a delete-on-fetch result another caller reached first by its inference id (foreign jobs allowed)', async () => {
    const h = await serve({ env: { ...TOKEN_ENV, MINDEE_MCP_ALLOW_FOREIGN_JOBS: 'true' }, emulator: { processingMs: Infinity } });
    const a = await h.client({ authorization: `Bearer ${TOKEN_A}` });
    const b = await h.client({ authorization: `Bearer ${TOKEN_B}` });
    const queued = await callTool(a, 'enqueue_document', { model_id: DEMO_MODELS.deleteOnFetch, url: 'https://example.com/a.pdf', wait: false });
    const jobId = structuredOf('enqueue_document', queued).job.job_id;
    h.emulator.completeJob(jobId);
    // The inference id leaked before A's server had seen it (A has not polled yet).
    const inferenceId = new URL(h.emulator.job(jobId)!.job.result_url!).pathname.split('/').pop()!;
    const stolen = await callTool(b, 'get_inference_result', { inference_id: inferenceId });
    expect(stolen.isError).toBe(true);
    expect(textOf(stolen)).toContain(`No result with id ${inferenceId} is known to you`);
    // Mindee deleted it on that fetch: A reads the copy kept for A.
    const mine = await callTool(a, 'get_inference_result', { inference_id: inferenceId });
    expect(mine.isError, textOf(mine)).toBeFalsy();
    expect((await b.listResources()).resources).toEqual([]);
  });
});

describe.skipIf(!hasRedis)('two replicas on one Redis', () => {
  it('know on each who started a job on the other', async () => {
    const redis = await startRedis();
    const prefix = `test:${randomUUID()}:`;
    const states: SharedState[] = [];
    const servers: HttpHarness[] = [];
    try {
      const replica = async (emulator?: Emulator) => {
        const state = await createRedisState({ url: redis.url, prefix, rateLimits: { postPerMinute: 100_000, getPerMinute: 100_000 }, commandTimeoutMs: 2000 });
        states.push(state);
        const h = await startHttpHarness({ env: TOKEN_ENV, connection: { state }, ...(emulator ? { sharedEmulator: emulator } : {}) });
        servers.push(h);
        return h;
      };
      const one = await replica();
      const two = await replica(one.emulator);
      const done = await callTool(await one.client({ authorization: `Bearer ${TOKEN_A}` }), 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf', wait: false });
      const jobId = structuredOf('enqueue_document', done).job.job_id;
      const before = one.emulator.requests.length;
      const stranger = await callTool(await two.client({ authorization: `Bearer ${TOKEN_B}` }), 'get_job_status', { job_id: jobId });
      expect(textOf(stranger)).toContain(`No job with id ${jobId} is known to you`);
      expect(one.emulator.requests.length).toBe(before);
      const owner = await callTool(await two.client({ authorization: `Bearer ${TOKEN_A}` }), 'get_job_status', { job_id: jobId });
      expect(owner.isError, textOf(owner)).toBeFalsy();
    } finally {
      for (const h of servers.reverse()) await h.close();
      for (const state of states) await state.close();
      await redis.stop();
    }
  });
});

describe('stdio: the key is the caller\'s own', () => {
  it('reads a job made outside the server with that key', async () => {
    const h = await startHarness();
    try {
      const form = new FormData();
      form.set('model_id', DEMO_MODELS.invoice);
      form.set('url', 'https://example.com/outside.pdf');
      const res = await fetch(`${h.emulator.url}/v2/inferences/enqueue`, { method: 'POST', headers: { authorization: TEST_API_KEY }, body: form });
      const outside = ((await res.json()) as { job: { id: string } }).job.id;
      const status = await h.call('get_job_status', { job_id: outside });
      expect(status.isError, textOf(status)).toBeFalsy();
      const inferenceId = structuredOf('get_job_status', status).job.inference_id!;
      expect((await h.call('get_inference_result', { inference_id: inferenceId })).structuredContent).toMatchObject({ inference_id: inferenceId });
    } finally {
      await h.close();
    }
  });
});
