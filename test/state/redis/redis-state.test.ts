/**
 * The Redis-backed shared state, against a real redis-server (one per test): several states on
 * one Redis play several processes. Budgets are atomic across them, results and completions
 * cross between them, and a Redis lost mid-run costs no wait and no result a process holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisState, RedisUnavailableError } from '../../../src/state/redis/index.js';
import type { Settle } from '../../../src/state/rate-budget.js';
import type { JobEvent, SharedState } from '../../../src/state/index.js';
import { ManualClock } from '../../helpers/manual-clock.js';
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

/**
 * A process whose rate-budget scripts take "now" from a test clock instead of Redis's TIME: time
 * moves only when the test says, so what is granted does not depend on how loaded the machine is.
 */
async function timedProcessOn(server: RedisServer, clock: ManualClock, options: Partial<Parameters<typeof createRedisState>[0]> = {}) {
  return processOn(server, { scriptClock: clock, ...options });
}

/** Takes what the budget grants now, asking once per slot (never waiting): the slots granted. */
async function drain(state: SharedState, scope: string, kind: 'get' | 'post', max: number, priority?: number): Promise<Settle[]> {
  const settles: Settle[] = [];
  for (let i = 0; i < max; i++) {
    const settle = await state.rateBudget(scope).tryTake(kind, { priority });
    if (!settle) break;
    settles.push(settle);
  }
  return settles;
}

describe.skipIf(!hasRedis)('Redis shared state', () => {
  it('shares one rate budget per scope among processes: the scope gets its limit, not each process', async () => {
    const server = await redis();
    const clock = new ManualClock();
    const limits = { postPerMinute: 6, getPerMinute: 60, windowMs: MINUTE };
    const a = (await timedProcessOn(server, clock, { rateLimits: limits })).state;
    const b = (await timedProcessOn(server, clock, { rateLimits: limits })).state;
    // Enqueues may use the whole window at once: 6 between them, then none for a minute.
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).rateBudget('org').tryTake('post')));
    expect(all.filter((r) => r !== null)).toHaveLength(6);
    all.forEach((settle) => settle?.());
    clock.advanceTo(clock.now() + MINUTE - 1);
    expect(await a.rateBudget('org').tryTake('post')).toBeNull();
    // A window after they ended, the scope has its 6 again.
    clock.advanceTo(clock.now() + 1);
    expect(await drain(b, 'org', 'post', 8)).toHaveLength(6);
    // Another scope (another organisation) has its own.
    expect(await drain(a, 'other-org', 'post', 8)).toHaveLength(6);
  });

  it('waits a caller of take() for the slot the test clock frees, with Redis deciding on that clock', async () => {
    const server = await redis();
    const clock = new ManualClock();
    const limits = { postPerMinute: 1, getPerMinute: 10, windowMs: MINUTE };
    const a = (await timedProcessOn(server, clock, { rateLimits: limits })).state;
    (await a.rateBudget('org').take('post'))();
    const start = clock.now();
    let grantedAt: number | undefined;
    // A deadline far past the looks below, so that time never moves to it.
    const waiting = a.rateBudget('org').take('post', { deadline: clock.now() + 10 * MINUTE }).then((settle) => {
      grantedAt = clock.now();
      return settle;
    });
    // The budget looks again as Redis says (every 500 ms at most, to re-read priorities): time
    // moves to each look, until the slot frees a window after the first ended.
    for (let i = 0; i < 1000 && grantedAt === undefined; i++) {
      const due = await Promise.race([clock.nextTimer(MINUTE), waiting.then(() => null)]);
      if (due !== null) clock.advanceTo(due);
    }
    (await waiting)();
    // A window after the first slot ended (on the test clock), at the first look past it.
    expect(grantedAt! - start).toBeGreaterThanOrEqual(MINUTE);
    expect(grantedAt! - start).toBeLessThanOrEqual(MINUTE + 500);
  });

  it('paces speculative polls across processes (a small burst, then the steady rate) and keeps the rest for results', async () => {
    const server = await redis();
    const clock = new ManualClock();
    // 1 200 a minute is 20 a second: polls get a burst of 60, results up to 600.
    const limits = { postPerMinute: 10, getPerMinute: 1200, windowMs: MINUTE };
    const a = (await timedProcessOn(server, clock, { rateLimits: limits })).state;
    const b = (await timedProcessOn(server, clock, { rateLimits: limits })).state;
    const poll = { priority: 2 };
    const settles = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).rateBudget('org').take('get', poll)));
    settles.forEach((s) => s());
    expect(await a.rateBudget('org').tryTake('get', poll)).toBeNull();
    expect(await b.rateBudget('org').tryTake('get', poll)).toBeNull();
    // Results are not held back by the polls' pace.
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).rateBudget('org').tryTake('get', { priority: 0 })));
    expect(results.filter((r) => r !== null)).toHaveLength(300);
    results.forEach((s) => s?.());
    // Polls now wait for the steady rate to fill the reserve again; results need not.
    expect(await a.rateBudget('org').tryTake('get', poll)).toBeNull();
    const result = await b.rateBudget('org').tryTake('get', { priority: 0 });
    expect(result).not.toBeNull();
    result!();
    // The steady rate is 20 a second: once the reserve has refilled, a poll goes again.
    clock.advanceTo(clock.now() + 30_000);
    expect(await a.rateBudget('org').tryTake('get', poll)).not.toBeNull();
  });

  it('holds a slot while its request is in flight on another process, and frees it once settled and the window has passed', async () => {
    const server = await redis();
    const clock = new ManualClock();
    const limits = { postPerMinute: 1, getPerMinute: 10, windowMs: 300 };
    const a = (await timedProcessOn(server, clock, { rateLimits: limits })).state;
    const b = (await timedProcessOn(server, clock, { rateLimits: limits })).state;
    const settle = await a.rateBudget('org').take('post');
    // In flight on A: B gets nothing, however long (longer than the window here, within the lease).
    expect(await b.rateBudget('org').tryTake('post')).toBeNull();
    clock.advanceTo(clock.now() + 700);
    expect(await b.rateBudget('org').tryTake('post')).toBeNull();
    settle();
    // A's next ask follows its settle on A's connection: the slot is counted from when it ended.
    expect(await a.rateBudget('org').tryTake('post')).toBeNull();
    clock.advanceTo(clock.now() + 299);
    expect(await b.rateBudget('org').tryTake('post')).toBeNull();
    clock.advanceTo(clock.now() + 1);
    const next = await b.rateBudget('org').tryTake('post');
    expect(next).not.toBeNull();
    next!();
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

  it('keeps review decisions with a result for every process of its caller, counted in the byte bound', async () => {
    const server = await redis();
    const limits = { maxEntries: 10, maxBytes: 1000, ttlMs: 90_000 };
    const a = (await processOn(server, { results: limits })).state;
    const b = (await processOn(server, { results: limits })).state;
    const result = { json: JSON.stringify({ inference: { id: 'inf-1' } }), meta: { fileName: null, product: 'extraction' } };
    expect(await a.results('k').putDecisions('inf-1', '[1]')).toBe(false);
    await a.results('k').put('inf-1', result);
    expect(await a.results('k').putDecisions('inf-1', '[{"path":"total_amount"}]')).toBe(true);
    expect(await b.results('k').getDecisions('inf-1')).toBe('[{"path":"total_amount"}]');
    expect(await b.results('k').get('inf-1')).toEqual({ ...result, decisions: '[{"path":"total_amount"}]' });
    // Another caller's partition has none, and cannot add any.
    expect(await b.results('other').getDecisions('inf-1')).toBeUndefined();
    expect(await b.results('other').putDecisions('inf-1', '[2]')).toBe(false);
    // Over the bound: not kept, the earlier ones stay.
    expect(await b.results('k').putDecisions('inf-1', 'x'.repeat(2000))).toBe(false);
    expect(await a.results('k').getDecisions('inf-1')).toBe('[{"path":"total_amount"}]');
    const { createClient } = await import('@redis/client');
    const probe = createClient({ url: server.url });
    await probe.connect();
    try {
      const size = Number(await probe.hGet('mindee-mcp:v1:res:size', 'k/inf-1'));
      expect(size).toBe(result.json.length + JSON.stringify(result.meta).length + '[{"path":"total_amount"}]'.length);
      expect(Number(await probe.get('mindee-mcp:v1:res:bytes'))).toBe(size);
      // Same lifetime: they go with the result.
      await a.results('k').delete('inf-1');
      expect(await a.results('k').getDecisions('inf-1')).toBeUndefined();
      expect(await probe.exists('mindee-mcp:v1:res:e:k/inf-1')).toBe(0);
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
    // A command after each settle on the same connection: the settles have reached Redis before it goes.
    await a.state.rateBudget('sync').tryTake('post');
    await b.state.rateBudget('sync').tryTake('post');
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
    // the loss and A its 3 local slots: the minute's budget holds. (A's ask waits for its own
    // write-back, so B's drain sees it.)
    // For a window after Redis is back, A keeps to its local share as well, which it has used up.
    expect(await a.state.rateBudget('org').tryTake('post')).toBeNull();
    const after = await drain(b.state, 'org', 'post', 10);
    expect(after).toHaveLength(8 - 2 - 3);
  });
});
