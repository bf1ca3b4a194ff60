/**
 * The state every process of a deployment shares: rate budgets (per organisation scope), kept
 * results (per caller), who started each job, job completions, uploads waiting for their one use, learned timings and MCP tasks. In memory by default; a shared backend (Redis)
 * implements the same interfaces.
 */
import { BoundedMap } from '../lib/bounded-map.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { MemoryJobEvents, type JobEvents } from './job-events.js';
import { MemoryJobOwners, type JobOwners, type OwnerLimits } from './owners.js';
import { DEFAULT_RATE_LIMITS, MemoryRateBudget, type RateBudget, type RateLimits } from './rate-budget.js';
import { MemoryResultStores, type ResultStore, type ResultStoreLimits } from './result-store.js';
import { MemoryUploadStore, type UploadStore } from './uploads.js';
import { MemoryTimingStore, type TimingStore } from './timings.js';
import { MemoryTaskStore, type TaskStore, type TaskStoreLimits } from './task-store.js';

export type { JobEvent } from './job-events.js';
export type { RateBudget, RateLimits, RequestKind } from './rate-budget.js';
export type { ResultStore, ResultStoreLimits } from './result-store.js';
export type { TimingStore } from './timings.js';

export interface SharedState {
  /** The budget of one scope: every key of one organisation should share one. */
  rateBudget(scope: string): RateBudget;
  /** The kept results of one caller (its `Caller.id`). */
  results(partition: string): ResultStore;
  readonly jobEvents: JobEvents;
  /** Who started each job (and so whose its inference is): an id alone reads nothing of another caller. */
  readonly owners: JobOwners;
  /** Tasks of long MCP tool calls, per owner. */
  readonly tasks: TaskStore;
  /** Documents uploaded to a remote server, waiting for their one use. */
  readonly uploads: UploadStore;
  /** What the poll planner learned of each model's processing time. */
  readonly timings: TimingStore;
  /** Ends the state; what is pending (learned timings) is persisted first. */
  close(): Promise<void>;
}

export interface MemoryStateOptions {
  rateLimits?: RateLimits;
  results?: Partial<ResultStoreLimits>;
  tasks?: Partial<TaskStoreLimits>;
  owners?: Partial<OwnerLimits>;
  clock?: Clock;
  /** Where learned timings are kept; default in memory only. */
  timings?: TimingStore;
}

/** Scopes kept: beyond, the least recently used idle budget is forgotten. */
const MAX_SCOPES = 10_000;

export function createMemoryState(options: MemoryStateOptions = {}): SharedState {
  const clock = options.clock ?? systemClock;
  const limits = options.rateLimits ?? DEFAULT_RATE_LIMITS;
  const budgets = new BoundedMap<string, RateBudget>(MAX_SCOPES);
  const results = new MemoryResultStores(options.results, clock);
  const timings = options.timings ?? new MemoryTimingStore();
  return {
    rateBudget(scope) {
      let budget = budgets.get(scope);
      if (!budget) budgets.set(scope, (budget = new MemoryRateBudget(limits, clock)));
      return budget;
    },
    results: (partition) => results.partition(partition),
    jobEvents: new MemoryJobEvents(),
    owners: new MemoryJobOwners(options.owners, clock),
    uploads: new MemoryUploadStore(clock),
    timings,
    tasks: new MemoryTaskStore(options.tasks, clock),
    close: () => timings.flush(),
  };
}
