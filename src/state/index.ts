/**
 * The state every process of a deployment shares: rate budgets (per organisation scope), kept
 * results (per API key), job completions, and MCP tasks. In memory by default; a shared backend (Redis)
 * implements the same interfaces.
 */
import { BoundedMap } from './bounded-map.js';
import { systemClock, type Clock } from './clock.js';
import { MemoryJobEvents, type JobEvents } from './job-events.js';
import { DEFAULT_RATE_LIMITS, MemoryRateBudget, type RateBudget, type RateLimits } from './rate-budget.js';
import { MemoryResultStores, type ResultStore, type ResultStoreLimits } from './result-store.js';
import { MemoryTaskStore, type TaskStore, type TaskStoreLimits } from './task-store.js';

export type { Clock } from './clock.js';
export type { JobEvent, JobEvents } from './job-events.js';
export type { BudgetUsage, RateBudget, RateLimits, RequestKind, Settle, TakeOptions } from './rate-budget.js';
export type { ResultMeta, ResultStore, ResultStoreLimits, StoredResult } from './result-store.js';
export type { EndStatus, TaskChange, TaskState, TaskStatus, TaskStore, TaskStoreLimits } from './task-store.js';

export interface SharedState {
  /** The budget of one scope: every key of one organisation should share one. */
  rateBudget(scope: string): RateBudget;
  /** The kept results of one partition (one per API key). */
  results(partition: string): ResultStore;
  readonly jobEvents: JobEvents;
  /** Tasks of long MCP tool calls, per owner. */
  readonly tasks: TaskStore;
  close(): Promise<void>;
}

export interface MemoryStateOptions {
  rateLimits?: RateLimits;
  results?: Partial<ResultStoreLimits>;
  tasks?: Partial<TaskStoreLimits>;
  clock?: Clock;
}

/** Scopes kept: beyond, the least recently used idle budget is forgotten. */
const MAX_SCOPES = 10_000;

export function createMemoryState(options: MemoryStateOptions = {}): SharedState {
  const clock = options.clock ?? systemClock;
  const limits = options.rateLimits ?? DEFAULT_RATE_LIMITS;
  const budgets = new BoundedMap<string, RateBudget>(MAX_SCOPES);
  const results = new MemoryResultStores(options.results, clock);
  return {
    rateBudget(scope) {
      let budget = budgets.get(scope);
      if (!budget) budgets.set(scope, (budget = new MemoryRateBudget(limits, clock)));
      return budget;
    },
    results: (partition) => results.partition(partition),
    jobEvents: new MemoryJobEvents(),
    tasks: new MemoryTaskStore(options.tasks, clock),
    close: async () => {},
  };
}
