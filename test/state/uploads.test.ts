import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/state/clock.js';
import { MemoryUploadStore, type UploadRecord } from '../../src/state/uploads.js';

describe('MemoryUploadStore', () => {
  let now = 1_000_000;
  const clock = { ...systemClock, now: () => now };
  const record = (id: string, owner: string, ttl = 1000): UploadRecord => ({ id, owner, path: `/tmp/${id}`, filename: 'a.pdf', size: 10, expiresAt: now + ttl });

  it('hands an upload to its owner once, and tells reuse from a wrong id', async () => {
    const store = new MemoryUploadStore(clock);
    await store.put(record('u1', 'alice'));
    expect(await store.claim('u1', 'bob')).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.claim('u1', 'alice')).toMatchObject({ ok: true, record: { id: 'u1' } });
    expect(await store.claim('u1', 'alice')).toEqual({ ok: false, reason: 'used' });
    expect(await store.claim('u1', 'bob')).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.claim('nope', 'alice')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('expires uploads: a late claim hands the record back for its file to be deleted, and sweep takes the rest', async () => {
    const store = new MemoryUploadStore(clock);
    await store.put(record('u1', 'alice'));
    await store.put(record('u2', 'alice'));
    await store.put(record('u3', 'alice', 5000));
    expect(await store.pending('alice')).toEqual({ count: 3, bytes: 30 });
    now += 1000;
    expect(await store.claim('u1', 'alice')).toMatchObject({ ok: false, reason: 'expired', record: { path: '/tmp/u1' } });
    expect((await store.sweep()).map((r) => r.id)).toEqual(['u2']);
    expect(await store.pending('alice')).toEqual({ count: 1, bytes: 10 });
    expect((await store.drain()).map((r) => r.id)).toEqual(['u3']);
  });
});
