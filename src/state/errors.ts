/**
 * A shared store that cannot be reached right now (Redis lost while running). The seams with a
 * local fallback (budgets, kept results, job events) never throw it; tasks and uploads, which
 * only make sense shared, fail at once with it: no call waits on a store that is away.
 */
export class StateUnavailableError extends Error {
  override name = 'StateUnavailableError';
}
