import { describe, expect, it } from 'vitest';
import { ResultCache } from '../../src/client/result-cache.js';
import { inferenceSchema } from '../../src/client/schemas.js';

const inf = (id: string) => inferenceSchema.parse({ id, result: { fields: {} } });

describe('ResultCache', () => {
  it('evicts the least recently used entry past the count bound', () => {
    const cache = new ResultCache({ maxEntries: 2, maxBytes: 1_000 });
    cache.set(inf('a'), 10);
    cache.set(inf('b'), 10);
    expect(cache.get('a')?.id).toBe('a'); // a is now the most recent
    cache.set(inf('c'), 10);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.id).toBe('a');
    expect(cache.size).toEqual({ entries: 2, bytes: 20 });
  });

  it('evicts past the byte bound and never keeps a result bigger than the cache', () => {
    const cache = new ResultCache({ maxEntries: 10, maxBytes: 100 });
    cache.set(inf('a'), 60);
    cache.set(inf('b'), 60);
    expect(cache.get('a')).toBeUndefined();
    cache.set(inf('huge'), 101);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 1, bytes: 60 });
  });

  it('replaces an entry with the same id without counting it twice', () => {
    const cache = new ResultCache({ maxEntries: 10, maxBytes: 100 });
    cache.set(inf('a'), 60);
    cache.set(inf('a'), 30);
    expect(cache.size).toEqual({ entries: 1, bytes: 30 });
  });
});
