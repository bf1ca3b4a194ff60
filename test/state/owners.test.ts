/**
 * Job owners, as the interface promises them, against each implementation: in memory (time on a
 * manual clock), and on a real redis-server (skipped, said once, without one), where a second
 * process (its own link, its own memory) must see what the first recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateUnavailableError } from '../../src/state/errors.js';
import { MAX_DOCUMENT_RECORD_BYTES, MemoryJobOwners, type JobOwners, type OwnerLimits } from '../../src/state/owners.js';
import { RedisLink } from '../../src/state/redis/link.js';
import { RedisJobOwners } from '../../src/state/redis/owners.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { hasRedis, logged, redisForFile, startRedis } from '../helpers/redis.js';

interface Subject {
  /** The store of the process that records. */
  store: JobOwners;
  /** What another process of the deployment reads (the same store in memory). */
  other: JobOwners;
}

interface Implementation {
  name: string;
  skip: boolean;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  make(limits?: Partial<OwnerLimits>): Promise<Subject>;
}

const memory: Implementation = {
  name: 'MemoryJobOwners',
  skip: false,
  async make(limits) {
    const store = new MemoryJobOwners(limits, new ManualClock());
    return { store, other: store };
  },
};

const shared = redisForFile();
const redis: Implementation = {
  name: 'RedisJobOwners',
  skip: !hasRedis,
  setup: shared.setup,
  teardown: shared.teardown,
  async make(limits) {
    const [a, b] = await shared.links(2);
    return { store: new RedisJobOwners(a!, limits), other: new RedisJobOwners(b!, limits) };
  },
};

describe.each([memory, redis])('$name', (impl) => {
  beforeAll(async () => {
    if (!impl.skip) await impl.setup?.();
  });
  afterAll(async () => {
    if (!impl.skip) await impl.teardown?.();
  });

  it.skipIf(impl.skip)('records who started a job and whose its inference is, for every process', async () => {
    const { store, other } = await impl.make();
    await store.record('job', 'job-1', 'token:alice');
    await store.record('inference', 'inf-1', 'token:alice');
    expect(await other.ownerOf('job', 'job-1')).toBe('token:alice');
    expect(await other.ownerOf('inference', 'inf-1')).toBe('token:alice');
    // A job id and an inference id are told apart, and an id never recorded is no one's.
    expect(await other.ownerOf('inference', 'job-1')).toBeUndefined();
    expect(await other.ownerOf('job', 'never-made')).toBeUndefined();
  });

  it.skipIf(impl.skip)('keeps the first owner: another caller recording the same id takes nothing', async () => {
    const { store, other } = await impl.make();
    await store.record('job', 'job-1', 'token:alice');
    await other.record('job', 'job-1', 'token:mallory');
    await store.record('job', 'job-1', 'token:mallory');
    expect(await other.ownerOf('job', 'job-1')).toBe('token:alice');
  });

  it.skipIf(impl.skip)('bounds the records of each caller, dropping its own oldest, never another caller\'s', async () => {
    const { store, other } = await impl.make({ perCaller: 3 });
    await store.record('job', 'bob-1', 'token:bob');
    for (let i = 1; i <= 5; i++) await store.record('job', `alice-${i}`, 'token:alice');
    const owners = await Promise.all([1, 2, 3, 4, 5].map((i) => other.ownerOf('job', `alice-${i}`)));
    expect(owners).toEqual([undefined, undefined, 'token:alice', 'token:alice', 'token:alice']);
    expect(await other.ownerOf('job', 'bob-1')).toBe('token:bob');
  });

  it.skipIf(impl.skip)("keeps each job's document for its owner only, for every process", async () => {
    const { store, other } = await impl.make();
    await store.recordDocument('job-d', 'token:alice', '{"kind":"url","url":"https://a.example/x.pdf"}');
    await other.recordDocument('job-d', 'token:mallory', '{"kind":"url","url":"https://evil.example/"}');
    expect(await other.documentOf('job-d', 'token:alice')).toBe('{"kind":"url","url":"https://a.example/x.pdf"}');
    expect(await store.documentOf('job-d', 'token:mallory')).toBeUndefined();
    expect(await other.documentOf('never-made', 'token:alice')).toBeUndefined();
    // A record past its bound is not kept rather than cut.
    await store.recordDocument('job-big', 'token:alice', 'x'.repeat(MAX_DOCUMENT_RECORD_BYTES + 1));
    expect(await other.documentOf('job-big', 'token:alice')).toBeUndefined();
  });
});

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
