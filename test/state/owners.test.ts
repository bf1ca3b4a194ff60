/**
 * Job owners, what only one implementation does: the memory store's own bounds (on a manual
 * clock), and the Redis store while Redis is away. What both promise is contracts/owners.ts.
 */
import { describe, expect, it } from 'vitest';
import { StateUnavailableError } from '../../src/state/errors.js';
import { MemoryJobOwners } from '../../src/state/owners.js';
import { RedisLink } from '../../src/state/redis/link.js';
import { RedisJobOwners } from '../../src/state/redis/owners.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { hasRedis, logged, startRedis } from '../helpers/redis.js';

describe('MemoryJobOwners', () => {
  it('forgets an owner once Mindee may no longer keep the result (24 h)', async () => {
    const clock = new ManualClock();
    const store = new MemoryJobOwners({}, clock);
    await store.record('job', 'job-1', 'token:alice');
    clock.advanceTo(clock.now() + 24 * 3600_000 - 1);
    expect(await store.ownerOf('job', 'job-1')).toBe('token:alice');
    clock.advanceTo(clock.now() + 1);
    expect(await store.ownerOf('job', 'job-1')).toBeUndefined();
  });

  it('holds at most maxEntries in all, the oldest going first', async () => {
    const store = new MemoryJobOwners({ maxEntries: 2 }, new ManualClock());
    await store.record('job', 'a', 'token:a');
    await store.record('job', 'b', 'token:b');
    await store.record('job', 'c', 'token:c');
    expect(store.size).toBe(2);
    expect(await store.ownerOf('job', 'a')).toBeUndefined();
    expect(await store.ownerOf('job', 'c')).toBe('token:c');
  });
});

describe.skipIf(!hasRedis)('RedisJobOwners', () => {
  it('keeps a record as long as Mindee may keep a result, and while Redis is away answers what this process recorded, and nothing else', async () => {
    const server = await startRedis();
    const lines: string[] = [];
    const link = new RedisLink({ url: server.url, prefix: 'test:owners:', log: { warn: (m) => lines.push(m), info: (m) => lines.push(m) } });
    await link.connect();
    try {
      const store = new RedisJobOwners(link);
      await store.record('job', 'job-1', 'token:alice');
      const ttl = Number(await link.command(['PTTL', 'test:owners:own:job:job-1']));
      expect(ttl).toBeGreaterThan(23 * 3600_000);
      expect(ttl).toBeLessThanOrEqual(24 * 3600_000);

      await server.kill();
      // Not knowing is not "no one's": the caller is told to try again, never let through.
      await expect(store.ownerOf('job', 'job-from-another-replica')).rejects.toBeInstanceOf(StateUnavailableError);
      await logged(lines, 'is unreachable');
      expect(await store.ownerOf('job', 'job-1')).toBe('token:alice');
      await expect(store.ownerOf('job', 'job-from-another-replica')).rejects.toThrow(/^Who started this job is kept in the shared state \(Redis\), which cannot be reached now/);
    } finally {
      await link.close();
      await server.stop();
    }
  });
});
