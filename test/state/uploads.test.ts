/**
 * The upload store's behaviour against each implementation: in memory, and on a real
 * redis-server (skipped, said once, without one), where two stores on one Redis play two
 * replicas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/state/clock.js';
import { RedisUploadStore } from '../../src/state/redis/uploads.js';
import { MemoryUploadStore, type UploadRecord, type UploadStore } from '../../src/state/uploads.js';
import { hasRedis, redisForFile } from '../helpers/redis.js';

let now = 1_000_000;
const clock = { ...systemClock, now: () => now };
const record = (id: string, owner: string, ttl = 1000): UploadRecord => ({ id, owner, path: `/tmp/${id}`, filename: 'a.pdf', size: 10, expiresAt: now + ttl });

interface Implementation {
  name: string;
  skip: boolean;
  /** Whether a shutdown hands back the uploads not used (a store of one process), or keeps them for the others. */
  drains: boolean;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** Stores that see the same uploads (replicas), as many as asked; one store for one process. */
  make(count: number): Promise<UploadStore[]>;
}

const memory: Implementation = {
  name: 'MemoryUploadStore',
  skip: false,
  drains: true,
  async make(count) {
    const store = new MemoryUploadStore(clock);
    return Array.from({ length: count }, () => store);
  },
};

const shared = redisForFile();
const redis: Implementation = {
  name: 'RedisUploadStore',
  skip: !hasRedis,
  drains: false,
  setup: shared.setup,
  teardown: shared.teardown,
  make: async (count) => (await shared.links(count)).map((link) => new RedisUploadStore(link, clock)),
};

describe.each([memory, redis])('$name', (impl) => {
  beforeAll(async () => {
    if (!impl.skip) await impl.setup?.();
  });
  afterAll(async () => {
    if (!impl.skip) await impl.teardown?.();
  });

  it.skipIf(impl.skip)('hands an upload to its owner once, and tells reuse from a wrong id', async () => {
    const [store] = await impl.make(1);
    await store!.put(record('u1', 'alice'));
    expect(await store!.claim('u1', 'bob')).toEqual({ ok: false, reason: 'unknown' });
    expect(await store!.claim('u1', 'alice')).toEqual({ ok: true, record: record('u1', 'alice') });
    expect(await store!.claim('u1', 'alice')).toEqual({ ok: false, reason: 'used' });
    expect(await store!.claim('u1', 'bob')).toEqual({ ok: false, reason: 'unknown' });
    expect(await store!.claim('nope', 'alice')).toEqual({ ok: false, reason: 'unknown' });
  });

  it.skipIf(impl.skip)('expires uploads: a late claim hands the record back for its file to be deleted, and sweep takes the rest', async () => {
    const [store] = await impl.make(1);
    await store!.put(record('u1', 'alice'));
    await store!.put(record('u2', 'alice'));
    await store!.put(record('u3', 'alice', 5000));
    await store!.put(record('u4', 'bob', 5000));
    expect(await store!.pending('alice')).toEqual({ count: 3, bytes: 30 });
    now += 1000;
    expect(await store!.claim('u1', 'alice')).toMatchObject({ ok: false, reason: 'expired', record: { path: '/tmp/u1' } });
    expect((await store!.sweep()).map((r) => r.id)).toEqual(['u2']);
    expect(await store!.pending('alice')).toEqual({ count: 1, bytes: 10 });
    expect((await store!.drain()).map((r) => r.id).sort()).toEqual(impl.drains ? ['u3', 'u4'] : []);
  });

  it.skipIf(impl.skip)('lets one replica claim what another received, once, however many try at once', async () => {
    const stores = await impl.make(3);
    await stores[0]!.put(record('u1', 'alice'));
    expect(await stores[1]!.pending('alice')).toEqual({ count: 1, bytes: 10 });
    const claims = await Promise.all([...stores, ...stores].map((s) => s.claim('u1', 'alice')));
    expect(claims.filter((c) => c.ok)).toHaveLength(1);
    expect(claims.filter((c) => !c.ok && c.reason === 'used')).toHaveLength(5);
    expect(await stores[2]!.pending('alice')).toEqual({ count: 0, bytes: 0 });
  });
});
