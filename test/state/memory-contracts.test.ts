/**
 * The contracts of every shared seam (contracts/), run against the in-memory implementations:
 * the same suites run against Redis in redis/contracts.test.ts.
 */
import { MemoryJobEvents } from '../../src/state/job-events.js';
import { MemoryJobOwners } from '../../src/state/owners.js';
import { MemoryRateBudget } from '../../src/state/rate-budget.js';
import { MemoryResultStores } from '../../src/state/result-store.js';
import { MemoryTaskStore } from '../../src/state/task-store.js';
import { MemoryTimingStore } from '../../src/state/timings.js';
import { MemoryUploadStore } from '../../src/state/uploads.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { jobEventsContract } from './contracts/job-events.js';
import { ownersContract } from './contracts/owners.js';
import { rateBudgetContract } from './contracts/rate-budget.js';
import { resultStoreContract } from './contracts/results.js';
import { taskStoreContract } from './contracts/tasks.js';
import { timingStoreContract } from './contracts/timings.js';
import { uploadClock, uploadStoreContract } from './contracts/uploads.js';

taskStoreContract({
  name: 'MemoryTaskStore',
  async make(limits) {
    const clock = new ManualClock();
    const store = new MemoryTaskStore(limits, clock);
    return { store, clock, size: async () => store.size, measure: (text) => text.length };
  },
});

uploadStoreContract({
  name: 'MemoryUploadStore',
  drains: true,
  async make(count) {
    const store = new MemoryUploadStore(uploadClock);
    return Array.from({ length: count }, () => store);
  },
});

ownersContract({
  name: 'MemoryJobOwners',
  async make(limits) {
    const store = new MemoryJobOwners(limits, new ManualClock());
    return { store, other: store };
  },
});

resultStoreContract({
  name: 'MemoryResultStores',
  async make(limits) {
    const stores = new MemoryResultStores(limits);
    return (name) => stores.partition(name);
  },
  bytes: (r) => r.json.length,
});

jobEventsContract({
  name: 'MemoryJobEvents',
  async make(count) {
    const events = new MemoryJobEvents();
    return Array.from({ length: count }, () => events);
  },
  relayed: (source) => source,
});

rateBudgetContract({
  name: 'MemoryRateBudget',
  make: async (limits, clock) => new MemoryRateBudget(limits, clock),
  lookMs: 1,
});

timingStoreContract({
  name: 'MemoryTimingStore',
  make: async () => new MemoryTimingStore(),
});
