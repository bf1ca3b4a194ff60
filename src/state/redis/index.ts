/**
 * The shared state of a deployment on Redis (or Valkey): rate budgets per scope, kept results
 * per caller, who started each job, job completions, what the poll planner learned, MCP tasks, and the records of
 * uploads when their files are in a directory every replica shares. Selected by
 * MINDEE_MCP_REDIS_URL; without it the state stays in memory (`createMemoryState`).
 */
import { BoundedMap } from '../../lib/bounded-map.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../rate-budget.js';
import { DEFAULT_RESULT_STORE, MemoryResultStores, type ResultStoreLimits } from '../result-store.js';
import type { OwnerLimits } from '../owners.js';
import type { TaskStoreLimits } from '../task-store.js';
import { MemoryUploadStore } from '../uploads.js';
import type { SharedState } from '../index.js';
import { RedisJobEvents } from './job-events.js';
import { maskRedisUrl, RedisLink, RedisUnavailableError, type RedisLinkOptions } from './link.js';
import { RedisJobOwners } from './owners.js';
import { RedisRateBudget } from './rate-budget.js';
import { keySafe, RedisResultStores } from './result-store.js';
import { RedisTaskStore } from './task-store.js';
import { RedisTimingStore } from './timings.js';
import { RedisUploadStore } from './uploads.js';

export { RedisUnavailableError } from './link.js';

export interface RedisStateOptions extends Omit<RedisLinkOptions, 'clock'> {
  /** The budget of each scope, shared by every process in it. */
  rateLimits?: RateLimits;
  results?: Partial<ResultStoreLimits>;
  tasks?: Partial<TaskStoreLimits>;
  owners?: Partial<OwnerLimits>;
  /**
   * Upload records in Redis: only when the files are in a directory every replica mounts
   * (MINDEE_MCP_UPLOAD_DIR). Otherwise an upload stays with the process that received it.
   */
  sharedUploads?: boolean;
  /** The longest one request can run (the request time-out): a slot held by a process that died is freed after it. */
  leaseMs?: number;
  clock?: Clock;
  /**
   * Tests only: the rate budgets run on this clock, their scripts included ("now" from it instead
   * of Redis's TIME, which every replica shares); the link keeps `clock`.
   */
  scriptClock?: Clock;
}

/** Scopes kept in this process: beyond, the least recently used idle budget is forgotten. */
const MAX_SCOPES = 10_000;

/** Connects to Redis and returns the shared state; rejects with RedisUnavailableError when Redis cannot be used. */
export async function createRedisState(options: RedisStateOptions): Promise<SharedState> {
  const clock = options.clock ?? systemClock;
  const link = new RedisLink({ ...options, clock });
  await link.connect();
  const events = new RedisJobEvents(link);
  const tasks = new RedisTaskStore(link, options.tasks, clock);
  try {
    await events.start();
    await tasks.start();
  } catch (error) {
    await link.close();
    throw new RedisUnavailableError(`Cannot subscribe to Redis at ${maskRedisUrl(options.url)} (MINDEE_MCP_REDIS_URL): ${error instanceof Error ? error.message : String(error)}.`);
  }
  const limits = { windowMs: 60_000, ...(options.rateLimits ?? DEFAULT_RATE_LIMITS) };
  const resultLimits = { ...DEFAULT_RESULT_STORE, ...options.results };
  const results = new RedisResultStores(link, resultLimits, new MemoryResultStores(resultLimits, clock));
  const timings = new RedisTimingStore(link);
  const budgets = new BoundedMap<string, RedisRateBudget>(MAX_SCOPES, (_scope, budget) => budget.dispose());
  return {
    rateBudget(scope) {
      let budget = budgets.get(scope);
      if (!budget) {
        budget = new RedisRateBudget({ link, scope: keySafe(scope), limits, leaseMs: options.leaseMs ?? 120_000, clock: options.scriptClock ?? clock, scriptClock: options.scriptClock });
        budgets.set(scope, budget);
      }
      return budget;
    },
    results: (partition) => results.partition(partition),
    jobEvents: events,
    owners: new RedisJobOwners(link, options.owners, clock),
    // Without a shared directory, an upload's file is in this process's private one, which
    // another replica cannot read: its record stays here too.
    uploads: options.sharedUploads ? new RedisUploadStore(link, clock) : new MemoryUploadStore(clock),
    tasks,
    timings,
    close: async () => {
      await timings.flush();
      timings.close();
      await link.close();
    },
  };
}
