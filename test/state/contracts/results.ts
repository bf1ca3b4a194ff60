/**
 * Kept results, against each implementation (../memory-contracts.test.ts,
 * ../redis/contracts.test.ts): one caller's never served to another, nor pushed out by another.
 *
 * Issue 16, Weak 1: kept results on a shared server. The API does not say which models delete
 * their results once fetched, so one caller's results must never push out another's while that
 * other holds no more than its share: a caller over its own bound loses its own oldest results,
 * and a full store takes from the caller holding the most. Each case failed on the code before
 * (one least-recently-used list for all).
 */
import { describe, expect, it } from 'vitest';
import type { ResultStore, ResultStoreLimits, StoredResult } from '../../../src/state/result-store.js';

const meta = { fileName: null, product: null };
const result = (id: string, size = 20): StoredResult => ({ json: id.padEnd(size, '.'), meta });

export interface ResultStoreBackend {
  name: string;
  make(limits: Partial<ResultStoreLimits>): Promise<(partition: string) => ResultStore>;
  /** What a result counts in the store's bytes. */
  bytes(r: StoredResult): number;
}

/** A result that counts `bytes` in the store of `impl`. */
const sized = (impl: ResultStoreBackend, id: string, bytes: number) => result(id, bytes - impl.bytes(result('', 0)));

const ids = async (store: { list(): Promise<Array<{ inferenceId: string }>> }) => (await store.list()).map((e) => e.inferenceId);

export function resultStoreContract(impl: ResultStoreBackend): void {
  describe(`${impl.name}: kept results, fair to every caller`, () => {

    it('a caller filling the store pushes out its own oldest results, not another caller\'s', async () => {
      const part = await impl.make({ maxEntries: 4 });
      await part('b').put('b1', result('b1'));
      await part('b').put('b2', result('b2'));
      for (let i = 1; i <= 10; i++) await part('a').put(`a${i}`, result(`a${i}`));
      expect(await ids(part('b'))).toEqual(['b1', 'b2']);
      expect(await ids(part('a'))).toEqual(['a9', 'a10']);
    });

    it('the same for the byte bound: the caller holding the most bytes gives way', async () => {
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

    it('keeps a quota per caller, count and bytes, beside the store\'s bounds', async () => {
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

    it('when every caller holds an equal share, the one putting gives way', async () => {
      const part = await impl.make({ maxEntries: 2 });
      await part('b').put('b1', result('b1'));
      await part('c').put('c1', result('c1'));
      await part('a').put('a1', result('a1'));
      expect(await ids(part('b'))).toEqual(['b1']);
      expect(await ids(part('c'))).toEqual(['c1']);
      expect(await ids(part('a'))).toEqual([]);
    });

    it('never serves one partition\'s result to another', async () => {
      const part = await impl.make({});
      await part('key-a').put('inf-1', { json: 'x'.repeat(5), meta: { fileName: 'a.pdf', product: 'extraction' } });
      expect(await part('key-b').get('inf-1')).toBeUndefined();
      expect(await part('key-b').list()).toEqual([]);
      expect((await part('key-a').list()).map((r) => r.inferenceId)).toEqual(['inf-1']);
    });
  });
}
