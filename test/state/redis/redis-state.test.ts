/**
 * The Redis-backed shared state, against a real redis-server (one per test): several states on
 * one Redis play several processes. Budgets are atomic across them, results and completions
 * cross between them, and a Redis lost mid-run costs no wait and no result a process holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisState, RedisUnavailableError } from '../../../src/state/redis/index.js';
import { RateBudgetDeadlineError, type Settle } from '../../../src/state/rate-budget.js';
import type { JobEvent, SharedState } from '../../../src/state/index.js';
import { hasRedis, logged, startRedis, type RedisServer } from '../../helpers/redis.js';

const MINUTE = 60_000;
const open: Array<SharedState | RedisServer> = [];

afterEach(async () => {
  for (const item of open.splice(0).reverse()) await ('close' in item ? item.close() : item.stop());
});

async function redis(options?: { password?: string }): Promise<RedisServer> {
  const server = await startRedis(options);
  open.push(server);
  return server;
}

/** A process's state on this Redis, with its log lines. */
async function processOn(server: RedisServer, options: Partial<Parameters<typeof createRedisState>[0]> = {}) {
  const lines: string[] = [];
  const log = { warn: (m: string) => lines.push(`warn: ${m}`), info: (m: string) => lines.push(`info: ${m}`) };
  const state = await createRedisState({ url: server.url, log, ...options });
  open.push(state);
  return { state, lines };
}

/** Takes until the budget refuses (deadline 200 ms past now): how many were granted. */
async function drain(state: SharedState, scope: string, kind: 'get' | 'post', max: number): Promise<Settle[]> {
  const settles: Settle[] = [];
  for (let i = 0; i < max; i++) {
    try {
      // Long enough for a Redis round trip on a loaded machine: the deadline is how "no slot left" is seen.
      settles.push(await state.rateBudget(scope).take(kind, { deadline: Date.now() + 1000 }));
    } catch (error) {
      expect(error).toBeInstanceOf(RateBudgetDeadlineError);
      break;
    }
  }
  return settles;
}

describe.skipIf(!hasRedis)('Redis shared state', () => {
  it('shares one rate budget per scope among processes: the scope gets its limit, not each process', async () => {
    const server = await redis();
    const limits = { postPerMinute: 6, getPerMinute: 60, windowMs: MINUTE };
    const a = (await processOn(server, { rateLimits: limits })).state;
    const b = (await processOn(server, { rateLimits: limits })).state;
    // Enqueues may use the whole window at once: 6 between them, then none for a minute.
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).rateBudget('org').take('post', { deadline: Date.now() + 2_000 }).then(
      () => 'granted',
      (error: unknown) => (error instanceof RateBudgetDeadlineError ? 'refused' : String(error)),
    )));
    expect(all.filter((r) => r === 'granted')).toHaveLength(6);
    expect(all.filter((r) => r === 'refused')).toHaveLength(4);
    // Another scope (another organisation) has its own.
    expect(await drain(a, 'other-org', 'post', 8)).toHaveLength(6);
  });

  it('paces speculative polls across processes (a small burst, then the steady rate) and keeps the rest for results', async () => {
    const server = await redis();
    // 1 200 a minute is 20 a second: polls get a burst of 60, results up to 600.
    const limits = { postPerMinute: 10, getPerMinute: 1200, windowMs: MINUTE };
    const a = (await processOn(server, { rateLimits: limits })).state;
    const b = (await processOn(server, { rateLimits: limits })).state;
    const poll = { priority: 2 };
    const settles = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).rateBudget('org').take('get', poll)));
    settles.forEach((s) => s());
    const late = await Promise.allSettled([a.rateBudget('org').take('get', { ...poll, deadline: Date.now() + 20 }), b.rateBudget('org').take('get', { ...poll, deadline: Date.now() + 20 })]);
    expect(late.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    // Results are not held back by the polls' pace.
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).rateBudget('org').take('get', { priority: 0, deadline: Date.now() + 1_000 })));
    results.forEach((s) => s());
    // Polls now wait for the steady rate to fill the reserve again; results need not.
    await expect(a.rateBudget('org').take('get', { ...poll, deadline: Date.now() + 200 })).rejects.toBeInstanceOf(RateBudgetDeadlineError);
    (await b.rateBudget('org').take('get', { priority: 0, deadline: Date.now() + 2_000 }))();
  });

  it('holds a slot while its request is in flight on another process, and frees it once settled and the window has passed', async () => {
    const server = await redis();
    const limits = { postPerMinute: 1, getPerMinute: 10, windowMs: 300 };
    const a = (await processOn(server, { rateLimits: limits })).state;
    const b = (await processOn(server, { rateLimits: limits })).state;
    const settle = await a.rateBudget('org').take('post');
    // In flight on A: B gets nothing, however long it waits (longer than the window here).
    await expect(b.rateBudget('org').take('post', { deadline: Date.now() + 700 })).rejects.toBeInstanceOf(RateBudgetDeadlineError);
    settle();
    const next = await b.rateBudget('org').take('post', { deadline: Date.now() + 5_000 });
    next();
  });

  it('keeps results per key hash: what one process fetched is read by another, never by another key', async () => {
    const server = await redis();
    const a = (await processOn(server)).state;
    const b = (await processOn(server)).state;
    const result = { json: JSON.stringify({ inference: { id: 'inf-1' } }), meta: { fileName: 'a.pdf', product: 'extraction' } };
    await a.results('key-hash-1').put('inf-1', result);
    expect(await b.results('key-hash-1').get('inf-1')).toEqual(result);
    expect(await b.results('key-hash-1').list()).toEqual([{ inferenceId: 'inf-1', meta: result.meta }]);
    expect(await b.results('key-hash-2').get('inf-1')).toBeUndefined();
    expect(await b.results('key-hash-2').list()).toEqual([]);
    await b.results('key-hash-1').delete('inf-1');
    expect(await a.results('key-hash-1').list()).toEqual([]);
  });

  it('keeps a verdict with a result for every process, counted in the byte bound', async () => {
    const server = await redis();
    const limits = { maxEntries: 10, maxBytes: 1000, ttlMs: 90_000 };
    const a = (await processOn(server, { results: limits })).state;
    const b = (await processOn(server, { results: limits })).state;
    const result = { json: JSON.stringify({ inference: { id: 'inf-1' } }), meta: { fileName: null, product: 'extraction' } };
    await a.results('k').putReview('inf-1', { key: 'High', json: '{"verdict":"accept"}' });
    expect(await b.results('k').get('inf-1')).toBeUndefined();
    await a.results('k').put('inf-1', result);
    await a.results('k').putReview('inf-1', { key: 'High', json: '{"verdict":"accept"}' });
    expect(await b.results('k').getReview('inf-1')).toEqual({ key: 'High', json: '{"verdict":"accept"}' });
    expect(await b.results('k').get('inf-1')).toEqual({ ...result, review: { key: 'High', json: '{"verdict":"accept"}' } });
    // Its bytes count: a verdict that would take the entry past the whole store is not kept.
    await b.results('k').putReview('inf-1', { key: 'Low', json: 'x'.repeat(2000) });
    expect((await a.results('k').get('inf-1'))!.review).toEqual({ key: 'High', json: '{"verdict":"accept"}' });
    const { createClient } = await import('@redis/client');
    const probe = createClient({ url: server.url });
    await probe.connect();
    try {
      const size = Number(await probe.hGet('mindee-mcp:v1:res:size', 'k/inf-1'));
      expect(size).toBe(result.json.length + JSON.stringify(result.meta).length + 'High'.length + '{"verdict":"accept"}'.length);
      expect(Number(await probe.get('mindee-mcp:v1:res:bytes'))).toBe(size);
    } finally {
      probe.destroy();
    }
  });

  it('bounds the shared results by count and bytes, least recently used out first, each with its TTL', async () => {
    const server = await redis();
    const limits = { maxEntries: 2, maxBytes: 1000, ttlMs: 90_000 };
    const a = (await processOn(server, { results: limits })).state;
    const b = (await processOn(server, { results: limits })).state;
    const r = (id: string, size = 10) => ({ json: JSON.stringify({ inference: { id } }).padEnd(size), meta: { fileName: null, product: null } });
    await a.results('k').put('one', r('one'));
    await a.results('k').put('two', r('two'));
    expect(await b.results('k').get('one')).toBeDefined(); // "one" is now the most recently used
    await b.results('k').put('three', r('three'));
    expect((await a.results('k').list()).map((e) => e.inferenceId)).toEqual(['one', 'three']);
    // A result that takes the store over its byte bound pushes out as much as it must.
    await b.results('k').put('big', r('big', 950));
    expect((await a.results('k').list()).map((e) => e.inferenceId)).toEqual(['big']);
    // Too large for the whole store: not kept.
    await b.results('k').put('huge', r('huge', 2000));
    expect(await b.results('k').get('huge')).toBeUndefined();
    // Each entry expires with the TTL (Redis's own clock ends it; read it rather than wait for it).
    const { createClient } = await import('@redis/client');
    const probe = createClient({ url: server.url });
    await probe.connect();
    try {
      const keys = await probe.keys('*res:e:*');
      expect(keys).toHaveLength(1);
      const ttl = await probe.pTTL(keys[0]!);
      expect(ttl).toBeGreaterThan(80_000);
      expect(ttl).toBeLessThanOrEqual(90_000);
      // The key of the API is never stored, only the partition name (a hash of it).
      expect(keys[0]).toBe('mindee-mcp:v1:res:e:k/big');
    } finally {
      probe.destroy();
    }
  });

  it('relays a completion to the waits of every process, and to a wait that starts just after', async () => {
    const server = await redis();
    const a = (await processOn(server)).state;
    const b = (await processOn(server)).state;
    const onB = new Promise<JobEvent>((resolve) => b.jobEvents.subscribe('job-1', resolve));
    a.jobEvents.publish({ jobId: 'job-1', status: 'Processed', source: 'webhook', job: { job: { id: 'job-1' } } });
    expect(await onB).toEqual({ jobId: 'job-1', status: 'Processed', source: 'peer', job: { job: { id: 'job-1' } } });
    const late = await new Promise<JobEvent>((resolve) => b.jobEvents.subscribe('job-1', resolve));
    expect(late.status).toBe('Processed');
    // A's own waits got it directly, once.
    const seen: JobEvent[] = [];
    a.jobEvents.subscribe('job-2', (e) => seen.push(e));
    a.jobEvents.publish({ jobId: 'job-2', status: 'Failed', source: 'poll' });
    expect(seen.map((e) => e.source)).toEqual(['poll']);
  });

  it('shares what the poll planner learned: a process that starts later begins warm', async () => {
    const server = await redis();
    const a = (await processOn(server)).state;
    await a.timings.ready;
    const at = Date.now();
    a.timings.record('model-1', 'extraction', { pages: 2, ms: 4_200, at });
    a.timings.record('model-1', 'extraction', { pages: 3, ms: 5_100, at: at + 1_000 });
    a.timings.record('bad id!', null, { pages: 1, ms: 1, at });
    await a.timings.flush();
    const b = (await processOn(server)).state;
    await b.timings.ready;
    expect(b.timings.get('model-1')).toEqual({
      product: 'extraction',
      samples: [
        { pages: 2, ms: 4_200, at: Math.floor(at / 1000) * 1000 },
        { pages: 3, ms: 5_100, at: Math.floor((at + 1_000) / 1000) * 1000 },
      ],
    });
    expect([...b.timings.models()].map(([id]) => id)).toEqual(['model-1']);
  });

  it('refuses to start when Redis cannot be reached, naming the URL with its password masked', async () => {
    const server = await redis({ password: 'correct-horse-battery' });
    const wrong = server.url.replace('correct-horse-battery', 'wrong-password-123');
    const error = await createRedisState({ url: wrong }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toContain(`redis://:***@127.0.0.1:${server.port}`);
    expect((error as Error).message).not.toContain('wrong-password-123');
    await server.kill();
    const gone = await createRedisState({ url: server.url }).catch((e: unknown) => e);
    expect((gone as Error).message).toMatch(/Cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ .*ECONNREFUSED/);
  });

  it('falls back to its share of the budget when Redis is lost, keeps what it holds, and shares again once Redis is back', async () => {
    const server = await redis();
    const limits = { postPerMinute: 8, getPerMinute: 60, windowMs: MINUTE };
    const a = await processOn(server, { rateLimits: limits });
    const b = await processOn(server, { rateLimits: limits });
    // 2 of the scope's 8 used before the loss.
    (await a.state.rateBudget('org').take('post'))();
    (await b.state.rateBudget('org').take('post'))();
    const result = { json: '{"inference":{"id":"inf-1"}}', meta: { fileName: 'a.pdf', product: 'extraction' } };
    await a.state.results('k').put('inf-1', result);
    const heardOnA: JobEvent[] = [];
    a.state.jobEvents.subscribe('job-1', (e) => heardOnA.push(e));

    await server.kill();
    // Each of the 2 processes may now take its half of what was left: (8 − 2) / 2 = 3.
    const localA = await drain(a.state, 'org', 'post', 10);
    expect(localA).toHaveLength(3);
    localA.forEach((s) => s());
    await logged(a.lines, 'is unreachable');
    expect(a.lines.filter((l) => l.includes('is unreachable'))).toHaveLength(1);
    // What A holds is still served; completions still reach A's own waits.
    expect(await a.state.results('k').get('inf-1')).toEqual(result);
    a.state.jobEvents.publish({ jobId: 'job-1', status: 'Processed', source: 'poll' });
    expect(heardOnA).toHaveLength(1);

    await server.restart();
    await logged(a.lines, 'is back');
    await logged(b.lines, 'is back');
    // The restarted Redis is empty, but each process wrote back its share of the 2 used before
    // the loss and A its 3 local slots: the minute's budget holds.
    const after = await drain(b.state, 'org', 'post', 10);
    expect(after).toHaveLength(8 - 2 - 3);
  });
});
