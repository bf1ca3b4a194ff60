/**
 * The upload store's behaviour against each implementation (../memory-contracts.test.ts,
 * ../redis/contracts.test.ts): on Redis, two stores on one Redis play two replicas.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/lib/clock.js';
import type { UploadRecord, UploadStore } from '../../../src/state/uploads.js';

let now = 1_000_000;
/** The clock every upload store of the contract runs on. */
export const uploadClock = { ...systemClock, now: () => now };
const record = (id: string, owner: string, ttl = 1000): UploadRecord => ({ id, owner, path: `/tmp/${id}`, filename: 'a.pdf', size: 10, expiresAt: now + ttl });

export interface UploadStoreBackend {
  name: string;
  /** Whether a shutdown hands back the uploads not used (a store of one process), or keeps them for the others. */
  drains: boolean;
  /** Stores that see the same uploads (replicas), as many as asked, on `uploadClock`; one store for one process. */
  make(count: number): Promise<UploadStore[]>;
}

export function uploadStoreContract(impl: UploadStoreBackend): void {
  describe(`${impl.name}: uploads`, () => {

    it('hands an upload to its owner once, and tells reuse from a wrong id', async () => {
      const [store] = await impl.make(1);
      await store!.put(record('u1', 'alice'));
      expect(await store!.claim('u1', 'bob')).toEqual({ ok: false, reason: 'unknown' });
      expect(await store!.claim('u1', 'alice')).toEqual({ ok: true, record: record('u1', 'alice') });
      expect(await store!.claim('u1', 'alice')).toEqual({ ok: false, reason: 'used' });
      expect(await store!.claim('u1', 'bob')).toEqual({ ok: false, reason: 'unknown' });
      expect(await store!.claim('nope', 'alice')).toEqual({ ok: false, reason: 'unknown' });
    });

    it('expires uploads: a late claim hands the record back for its file to be deleted, and sweep takes the rest', async () => {
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

    it('lets one replica claim what another received, once, however many try at once', async () => {
      const stores = await impl.make(3);
      await stores[0]!.put(record('u1', 'alice'));
      expect(await stores[1]!.pending('alice')).toEqual({ count: 1, bytes: 10 });
      const claims = await Promise.all([...stores, ...stores].map((s) => s.claim('u1', 'alice')));
      expect(claims.filter((c) => c.ok)).toHaveLength(1);
      expect(claims.filter((c) => !c.ok && c.reason === 'used')).toHaveLength(5);
      expect(await stores[2]!.pending('alice')).toEqual({ count: 0, bytes: 0 });
    });

    it('reserves places for uploads arriving: checked and taken in one step, on every replica at once', async () => {
      const stores = await impl.make(3);
      const limits = { perOwner: 4, files: 6, bytes: 1000 };
      const reserve = (i: number, owner: string, bytes = 10) => stores[i % 3]!.reserve({ id: `r${owner}${i}`, owner, bytes, expiresAt: now + 1000 }, limits);
      const alice = await Promise.all(Array.from({ length: 10 }, (_, i) => reserve(i, 'alice')));
      expect(alice.filter((r) => r.ok)).toHaveLength(4);
      expect(alice.find((r) => !r.ok)).toEqual({ ok: false, bound: 'owner', count: 4, bytes: 0 });
      const others = await Promise.all(Array.from({ length: 10 }, (_, i) => reserve(i, `o${i}`)));
      expect(others.filter((r) => r.ok)).toHaveLength(2);
      expect(others.find((r) => !r.ok)).toEqual({ ok: false, bound: 'files', count: 6, bytes: 60 });
      expect(await stores[0]!.pending('alice')).toEqual({ count: 4, bytes: 40 });
    });

    it('keeps a reservation from being claimed; put makes it an upload, release gives back only a reservation', async () => {
      const [store] = await impl.make(1);
      const limits = { perOwner: 10, files: 10, bytes: 100 };
      expect(await store!.reserve({ id: 'u1', owner: 'alice', bytes: 60, expiresAt: now + 1000 }, limits)).toEqual({ ok: true });
      expect(await store!.reserve({ id: 'u2', owner: 'bob', bytes: 50, expiresAt: now + 1000 }, limits)).toEqual({ ok: false, bound: 'bytes', count: 1, bytes: 60 });
      expect(await store!.claim('u1', 'alice')).toEqual({ ok: false, reason: 'unknown' });
      // Arrived smaller than reserved: the record's size is what counts from now on.
      await store!.put(record('u1', 'alice'));
      await store!.release('u1');
      expect(await store!.reserve({ id: 'u2', owner: 'bob', bytes: 50, expiresAt: now + 1000 }, limits)).toEqual({ ok: true });
      await store!.release('u2');
      expect(await store!.pending('bob')).toEqual({ count: 0, bytes: 0 });
      expect(await store!.claim('u1', 'alice')).toEqual({ ok: true, record: record('u1', 'alice') });
    });

    it('keeps a sent upload for its owner, not claimable nor waiting, until it expires; past the bound the owner\'s oldest goes', async () => {
      const stores = await impl.make(2);
      const kept = { count: 2, bytes: 25 };
      const keep = async (id: string, owner: string, size = 10) => {
        await stores[0]!.put({ ...record(id, owner), size });
        const claimed = await stores[0]!.claim(id, owner);
        if (!claimed.ok) throw new Error('not claimed');
        return stores[0]!.keep({ ...claimed.record, expiresAt: now + 5000 }, kept);
      };
      expect(await keep('k1', 'alice')).toEqual([]);
      expect(await stores[1]!.kept('k1', 'alice')).toMatchObject({ id: 'k1', owner: 'alice', path: '/tmp/k1', size: 10, expiresAt: now + 5000 });
      expect(await stores[1]!.kept('k1', 'bob')).toBeUndefined();
      expect(await stores[1]!.claim('k1', 'alice')).toEqual({ ok: false, reason: 'used' });
      expect(await stores[1]!.pending('alice')).toEqual({ count: 0, bytes: 0 });
      expect(await keep('k2', 'alice')).toEqual([]);
      expect(await keep('b1', 'bob')).toEqual([]);
      // A third, or more than 25 bytes: alice's oldest goes first, bob's stays.
      expect((await keep('k3', 'alice')).map((r) => r.id)).toEqual(['k1']);
      expect((await keep('k4', 'alice', 16)).map((r) => r.id)).toEqual(['k2', 'k3']);
      expect(await stores[1]!.kept('k1', 'alice')).toBeUndefined();
      expect(await stores[1]!.kept('b1', 'bob')).toBeDefined();
      now += 5000;
      expect(await stores[1]!.kept('k4', 'alice')).toBeUndefined();
      expect((await stores[1]!.sweep()).map((r) => r.id).sort()).toEqual(['b1', 'k4']);
    });

    it('counts kept uploads in the directory, but they make room for a new upload: the oldest kept first, none when that is not enough', async () => {
      const [store] = await impl.make(1);
      const keep = async (id: string, owner: string) => {
        await store!.put(record(id, owner));
        const claimed = await store!.claim(id, owner);
        if (!claimed.ok) throw new Error('not claimed');
        await store!.keep({ ...claimed.record, expiresAt: now + 5000 }, { count: 10, bytes: 1000 });
      };
      await keep('k1', 'alice');
      await keep('k2', 'bob');
      await keep('k3', 'alice');
      await store!.put(record('w1', 'carol'));
      const limits = { perOwner: 5, files: 4, bytes: 45 };
      // 4 files of 10 bytes: one more file needs one kept upload gone; 20 more bytes need two.
      const reserve = (id: string, bytes: number, onDisk?: number) => store!.reserve({ id, owner: 'dave', bytes, expiresAt: now + 1000 }, { ...limits, onDisk });
      expect(await reserve('r1', 20)).toMatchObject({ ok: true, evicted: [{ id: 'k1', owner: 'alice' }, { id: 'k2', owner: 'bob' }] });
      expect(await store!.kept('k1', 'alice')).toBeUndefined();
      expect(await store!.kept('k3', 'alice')).toBeDefined();
      // Files no record names count: 6 on the disk, of which 1 kept: not enough room, nothing evicted.
      expect(await reserve('r2', 5, 6)).toEqual({ ok: false, bound: 'files', count: 6, bytes: 40 });
      expect(await reserve('r3', 6)).toMatchObject({ ok: true, evicted: [{ id: 'k3' }] });
    });
  });
}
