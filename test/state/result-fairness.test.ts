/**
 * Issue 16, Weak 1: kept results on a shared server. The API does not say which models delete
 * their results once fetched, so one caller's results must never push out another's while that
 * other holds no more than its share: a caller over its own bound loses its own oldest results,
 * and a full store takes from the caller holding the most. The same behaviour in memory and on a
 * real redis-server. Each case failed on the code before (one least-recently-used list for all).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RESULT_STORE, MemoryResultStores, type ResultStoreLimits, type StoredResult } from '../../src/state/result-store.js';
import { RedisResultStores } from '../../src/state/redis/result-store.js';
import { hasRedis, redisForFile } from '../helpers/redis.js';

const meta = { fileName: null, product: null };
const result = (id: string, size = 20): StoredResult => ({ json: id.padEnd(size, '.'), meta });

interface Implementation {
  name: string;
  skip: boolean;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  make(limits: Partial<ResultStoreLimits>): Promise<(partition: string) => { put(id: string, r: StoredResult): Promise<void>; list(): Promise<Array<{ inferenceId: string }>> }>;
  /** What a result counts in the store's bytes. */
  bytes(r: StoredResult): number;
}

const memory: Implementation = {
  name: 'MemoryResultStores',
  skip: false,
  async make(limits) {
    const stores = new MemoryResultStores(limits);
    return (name) => stores.partition(name);
  },
  bytes: (r) => r.json.length,
};

const shared = redisForFile();
const redis: Implementation = {
  name: 'RedisResultStores',
  skip: !hasRedis,
  setup: shared.setup,
  teardown: shared.teardown,
  async make(limits) {
    const [link] = await shared.links(1);
    const full = { ...DEFAULT_RESULT_STORE, ...limits };
    // Each process also keeps a local copy of what it put; list() reads Redis while it is up.
    const stores = new RedisResultStores(link!, full, new MemoryResultStores(full));
    return (name) => stores.partition(name);
  },
  bytes: (r) => r.json.length + JSON.stringify(r.meta).length,
};

/** A result that counts `bytes` in the store of `impl`. */
const sized = (impl: Implementation, id: string, bytes: number) => result(id, bytes - impl.bytes(result('', 0)));

const ids = async (store: { list(): Promise<Array<{ inferenceId: string }>> }) => (await store.list()).map((e) => e.inferenceId);

describe.each([memory, redis])('$name: fair to every caller', (impl) => {
  beforeAll(async () => {
    if (!impl.skip) await impl.setup?.();
  });
  afterAll(async () => {
    if (!impl.skip) await impl.teardown?.();
  });

  it.skipIf(impl.skip)('a caller filling the store pushes out its own oldest results, not another caller\'s', async () => {
    const part = await impl.make({ maxEntries: 4 });
    await part('b').put('b1', result('b1'));
    await part('b').put('b2', result('b2'));
    for (let i = 1; i <= 10; i++) await part('a').put(`a${i}`, result(`a${i}`));
    expect(await ids(part('b'))).toEqual(['b1', 'b2']);
    expect(await ids(part('a'))).toEqual(['a9', 'a10']);
  });

  it.skipIf(impl.skip)('the same for the byte bound: the caller holding the most bytes gives way', async () => {
    const one = impl.bytes(result('x1', 30));
    const part = await impl.make({ maxBytes: 3 * one + 5 });
    await part('b').put('b1', result('b1', 30));
    for (let i = 1; i <= 5; i++) await part('a').put(`a${i}`, result(`a${i}`, 30));
    expect(await ids(part('b'))).toEqual(['b1']);
    expect(await ids(part('a'))).toEqual(['a4', 'a5']);
    // A big result of a: its own go first, b's stays.
    await part('a').put('big', sized(impl, 'big', 2 * one));
    expect(await ids(part('b'))).toEqual(['b1']);
    expect(await ids(part('a'))).toEqual(['big']);
  });

  it.skipIf(impl.skip)('keeps a quota per caller, count and bytes, beside the store\'s bounds', async () => {
    const one = impl.bytes(result('x', 20));
    const part = await impl.make({ maxEntriesPerPartition: 2, maxBytesPerPartition: 3 * one });
    for (let i = 1; i <= 4; i++) await part('a').put(`a${i}`, result(`a${i}`));
    expect(await ids(part('a'))).toEqual(['a3', 'a4']);
    await part('b').put('b1', result('b1'));
    await part('b').put('b2', sized(impl, 'b2', Math.floor(2.5 * one)));
    expect(await ids(part('b'))).toEqual(['b2']);
    // Larger than a caller's byte quota: not kept, and nothing of the caller's is lost for it.
    await part('a').put('huge', result('huge', 4 * one));
    expect(await ids(part('a'))).toEqual(['a3', 'a4']);
  });

  it.skipIf(impl.skip)('when every caller holds an equal share, the one putting gives way', async () => {
    const part = await impl.make({ maxEntries: 2 });
    await part('b').put('b1', result('b1'));
    await part('c').put('c1', result('c1'));
    await part('a').put('a1', result('a1'));
    expect(await ids(part('b'))).toEqual(['b1']);
    expect(await ids(part('c'))).toEqual(['c1']);
    expect(await ids(part('a'))).toEqual([]);
  });
});
