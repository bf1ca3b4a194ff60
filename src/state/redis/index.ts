/**
 * The shared state of a deployment on Redis (or Valkey): rate budgets per scope, kept results
 * per key hash, job completions, what the poll planner learned. Selected by MINDEE_MCP_REDIS_URL; without it the state stays
 * in memory (`createMemoryState`).
 */
import { BoundedMap } from '../bounded-map.js';
import { systemClock, type Clock } from '../clock.js';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../rate-budget.js';
import { DEFAULT_RESULT_STORE, MemoryResultStores, type ResultStoreLimits } from '../result-store.js';
import { MemoryTaskStore } from '../task-store.js';
import { MemoryUploadStore } from '../uploads.js';
import type { SharedState } from '../index.js';
import { RedisJobEvents } from './job-events.js';
import { maskRedisUrl, RedisLink, RedisUnavailableError, type RedisLinkOptions } from './link.js';
import { RedisRateBudget } from './rate-budget.js';
import { keySafe, RedisResultStores } from './result-store.js';
import { RedisTimingStore } from './timings.js';

export { maskRedisUrl, RedisUnavailableError } from './link.js';

export interface RedisStateOptions extends Omit<RedisLinkOptions, 'clock'> {
  /** The budget of each scope, shared by every process in it. */
  rateLimits?: RateLimits;
  results?: Partial<ResultStoreLimits>;
  /** The longest one request can run (the request time-out): a slot held by a process that died is freed after it. */
  leaseMs?: number;
  clock?: Clock;
}

/** Scopes kept in this process: beyond, the least recently used idle budget is forgotten. */
const MAX_SCOPES = 10_000;

/** Connects to Redis and returns the shared state; rejects with RedisUnavailableError when Redis cannot be used. */
export async function createRedisState(options: RedisStateOptions): Promise<SharedState> {
  const clock = options.clock ?? systemClock;
  const link = new RedisLink({ ...options, clock });
  await link.connect();
  const events = new RedisJobEvents(link);
  try {
    await events.start();
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
        budget = new RedisRateBudget({ link, scope: keySafe(scope), limits, leaseMs: options.leaseMs ?? 120_000, clock });
        budgets.set(scope, budget);
      }
      return budget;
    },
    results: (partition) => results.partition(partition),
    jobEvents: events,
    // Upload records stay in this process: an upload's file is in this process's private
    // directory, which another replica cannot read.
    uploads: new MemoryUploadStore(clock),
    // Per process for now: a task is followed on the replica that started it.
    tasks: new MemoryTaskStore(undefined, clock),
    timings,
    close: async () => {
      await timings.flush();
      timings.close();
      await link.close();
    },
  };
}
