/**
 * The contracts of every shared seam (../contracts/), run against the Redis implementations on
 * one real redis-server (skipped, said once, without one): each store on a key prefix of its own,
 * so every test starts from an empty store; several links on one Redis play several processes.
 * The same suites run in memory in ../memory-contracts.test.ts.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { RedisJobEvents } from '../../../src/state/redis/job-events.js';
import { RedisJobOwners } from '../../../src/state/redis/owners.js';
import { RedisRateBudget } from '../../../src/state/redis/rate-budget.js';
import { RedisResultStores } from '../../../src/state/redis/result-store.js';
import { RedisTaskStore } from '../../../src/state/redis/task-store.js';
import { RedisTimingStore } from '../../../src/state/redis/timings.js';
import { RedisUploadStore } from '../../../src/state/redis/uploads.js';
import { DEFAULT_RESULT_STORE, MemoryResultStores } from '../../../src/state/result-store.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { hasRedis, redisForFile } from '../../helpers/redis.js';
import { jobEventsContract } from '../contracts/job-events.js';
import { ownersContract } from '../contracts/owners.js';
import { rateBudgetContract } from '../contracts/rate-budget.js';
import { resultStoreContract } from '../contracts/results.js';
import { taskStoreContract } from '../contracts/tasks.js';
import { timingStoreContract } from '../contracts/timings.js';
import { uploadClock, uploadStoreContract } from '../contracts/uploads.js';

const shared = redisForFile();
/** What runs on timers of its own, ended before the links close. */
const closing: Array<{ close(): void }> = [];

describe.skipIf(!hasRedis)('on Redis', () => {
  beforeAll(shared.setup);
  afterAll(async () => {
    for (const item of closing.splice(0)) item.close();
    await shared.teardown();
  });

  taskStoreContract({
    name: 'RedisTaskStore',
    async make(limits) {
      const [link] = await shared.links(1);
      const clock = new ManualClock();
      const store = new RedisTaskStore(link!, limits, clock);
      await store.start();
      return { store, clock, size: () => store.size(), measure: (text) => Buffer.byteLength(text) };
    },
  });

  uploadStoreContract({
    name: 'RedisUploadStore',
    drains: false,
    make: async (count) => (await shared.links(count)).map((link) => new RedisUploadStore(link, uploadClock)),
  });

  ownersContract({
    name: 'RedisJobOwners',
    async make(limits) {
      const [a, b] = await shared.links(2);
      return { store: new RedisJobOwners(a!, limits), other: new RedisJobOwners(b!, limits) };
    },
  });

  resultStoreContract({
    name: 'RedisResultStores',
    async make(limits) {
      const [link] = await shared.links(1);
      const full = { ...DEFAULT_RESULT_STORE, ...limits };
      // Each process also keeps a local copy of what it put; list() reads Redis while it is up.
      const stores = new RedisResultStores(link!, full, new MemoryResultStores(full));
      return (name) => stores.partition(name);
    },
    bytes: (r) => r.json.length + JSON.stringify(r.meta).length,
  });

  jobEventsContract({
    name: 'RedisJobEvents',
    async make(count) {
      const events = (await shared.links(count)).map((link) => new RedisJobEvents(link));
      for (const e of events) await e.start();
      return events;
    },
    relayed: () => 'peer',
  });

  rateBudgetContract({
    name: 'RedisRateBudget',
    async make(limits, clock) {
      const [link] = await shared.links(1);
      const budget = new RedisRateBudget({ link: link!, scope: 'org', limits, leaseMs: 120_000, clock, scriptClock: clock });
      closing.push({ close: () => budget.dispose() });
      return budget;
    },
    // The budget asks Redis again every 500 ms at most (REREAD_PRIORITIES_MS).
    lookMs: 500,
  });

  timingStoreContract({
    name: 'RedisTimingStore',
    async make() {
      const [link] = await shared.links(1);
      const store = new RedisTimingStore(link!);
      closing.push(store);
      return store;
    },
  });
});
