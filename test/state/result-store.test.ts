import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryResultStores } from '../../src/state/result-store.js';

const result = (bytes: number, fileName: string | null = null) => ({ json: 'x'.repeat(bytes), meta: { fileName, product: 'extraction' } });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryResultStores', () => {
  it('evicts the least recently used result past the count bound', async () => {
    const stores = new MemoryResultStores({ maxEntries: 2, maxBytes: 1_000, ttlMs: 60_000 });
    const store = stores.partition('k1');
    await store.put('a', result(10));
    await store.put('b', result(10));
    expect(await store.get('a')).toBeDefined(); // a is now the most recent
    await store.put('c', result(10));
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBeDefined();
    expect(stores.size).toEqual({ entries: 2, bytes: 20 });
  });

  it('evicts past the byte bound and never keeps a result bigger than the whole store', async () => {
    const stores = new MemoryResultStores({ maxEntries: 10, maxBytes: 100, ttlMs: 60_000 });
    const store = stores.partition('k1');
    await store.put('a', result(60));
    await store.put('b', result(60));
    expect(await store.get('a')).toBeUndefined();
    await store.put('huge', result(101));
    expect(await store.get('huge')).toBeUndefined();
    await store.put('b', result(30));
    expect(stores.size).toEqual({ entries: 1, bytes: 30 });
  });

  it('forgets a result once its time to live is over', async () => {
    const store = new MemoryResultStores({ ttlMs: 1_000 }).partition('k1');
    await store.put('a', result(5, 'a.pdf'));
    vi.advanceTimersByTime(999);
    expect(await store.list()).toEqual([{ inferenceId: 'a', meta: { fileName: 'a.pdf', product: 'extraction' } }]);
    vi.advanceTimersByTime(1);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('keeps review decisions with their result, for its partition only, counting their bytes, and drops them with it', async () => {
    vi.useFakeTimers();
    const stores = new MemoryResultStores({ maxEntries: 10, maxBytes: 100, ttlMs: 1000 });
    const store = stores.partition('k1');
    expect(await store.putDecisions('none', '[]')).toBe(false);
    await store.put('a', result(40));
    expect(await store.putDecisions('a', 'd'.repeat(30))).toBe(true);
    expect(await store.getDecisions('a')).toBe('d'.repeat(30));
    expect((await store.get('a'))!.decisions).toBe('d'.repeat(30));
    expect(stores.size.bytes).toBe((await store.get('a'))!.json.length + 30);
    // Another caller's partition neither reads nor writes them.
    expect(await stores.partition('k2').getDecisions('a')).toBeUndefined();
    expect(await stores.partition('k2').putDecisions('a', '[]')).toBe(false);
    // Decisions that would take the entry past the bound are not kept; the earlier ones stay.
    expect(await store.putDecisions('a', 'x'.repeat(200))).toBe(false);
    expect(await store.getDecisions('a')).toBe('d'.repeat(30));
    // Same lifetime as the result.
    vi.advanceTimersByTime(1000);
    expect(await store.getDecisions('a')).toBeUndefined();
    expect(await store.putDecisions('a', '[]')).toBe(false);
    vi.useRealTimers();
  });

  it('keeps a verdict with its result, counting its bytes, and drops it with the result', async () => {
    const stores = new MemoryResultStores({ maxEntries: 10, maxBytes: 100, ttlMs: 60_000 });
    const store = stores.partition('k1');
    await store.putReview('none', { key: 'High', json: '{}' });
    expect(await store.get('none')).toBeUndefined();
    await store.put('a', result(40));
    await store.putReview('a', { key: 'High', json: 'r'.repeat(20) });
    expect((await store.get('a'))!.review).toEqual({ key: 'High', json: 'r'.repeat(20) });
    expect(await store.getReview('a')).toEqual({ key: 'High', json: 'r'.repeat(20) });
    expect(stores.size).toEqual({ entries: 1, bytes: 64 });
    // A newer verdict replaces the older one.
    await store.putReview('a', { key: 'Low', json: 'r' });
    expect(stores.size).toEqual({ entries: 1, bytes: 44 });
    // The result put anew comes without a verdict.
    await store.put('a', result(40));
    expect((await store.get('a'))!.review).toBeUndefined();
    expect(stores.size).toEqual({ entries: 1, bytes: 40 });
  });
});
