/**
 * Job owners in Redis, so that every replica knows who started a job: `own:<kind>:<id>` holds
 * the owner (expiring with Mindee's longest keep, 24 h), and each caller's `own:c:<caller>`
 * lists its records by time, so its oldest go first past the per-caller bound. One script
 * records, so a bound and a first owner hold however many replicas record at once.
 *
 * Each process also keeps what it recorded in its own memory: while Redis is away, a caller
 * still reads the jobs it started on this replica. An id neither knows while Redis is away is
 * neither anyone's nor no one's: StateUnavailableError (try again), never "yours". The script
 * that records is lua/owners/record.lua.
 */
import type { Clock } from '../../lib/clock.js';
import { DEFAULT_OWNER_LIMITS, MAX_DOCUMENT_RECORD_BYTES, MemoryJobOwners, type JobOwners, type OwnedKind, type OwnerLimits } from '../owners.js';
import type { RedisLink } from './link.js';
import { keySafe } from './result-store.js';

export class RedisJobOwners implements JobOwners {
  readonly #limits: OwnerLimits;
  readonly #local: MemoryJobOwners;

  constructor(
    private readonly link: RedisLink,
    limits: Partial<OwnerLimits> = {},
    clock?: Clock,
  ) {
    this.#limits = { ...DEFAULT_OWNER_LIMITS, ...limits };
    this.#local = new MemoryJobOwners(this.#limits, clock);
  }

  async record(kind: OwnedKind, id: string, caller: string): Promise<void> {
    const { ttlMs, perCaller } = this.#limits;
    const args = [this.link.prefix, `${kind}:${id}`, caller, keySafe(caller), String(ttlMs), String(perCaller)];
    // Another caller owns it: nothing is kept here either. Redis away: this replica still knows; the others do not.
    const taken = await this.link.sharedOr(async () => Number(await this.link.eval('ownersRecord', [], args)) === 1, () => true);
    if (taken) await this.#local.record(kind, id, caller);
  }

  async ownerOf(kind: OwnedKind, id: string): Promise<string | undefined> {
    const local = await this.#local.ownerOf(kind, id);
    if (local !== undefined) return local;
    const owner = await this.link.required(() => this.link.command(['GET', `${this.link.prefix}own:${kind}:${id}`]), `Who started this ${kind === 'job' ? 'job' : 'result'} is kept in`);
    return typeof owner === 'string' ? owner : undefined;
  }

  /** `own:doc:<job id>` holds `{owner, origin}` beside the owner record, with its ttl. */
  async recordDocument(jobId: string, caller: string, origin: string): Promise<void> {
    if (origin.length > MAX_DOCUMENT_RECORD_BYTES) return;
    await this.#local.recordDocument(jobId, caller, origin);
    // Redis away: this replica still knows.
    const record = JSON.stringify({ owner: caller, origin });
    await this.link.sharedOr(() => this.link.command(['SET', `${this.link.prefix}own:doc:${jobId}`, record, 'PX', String(this.#limits.ttlMs), 'NX']), () => undefined);
  }

  async documentOf(jobId: string, caller: string): Promise<string | undefined> {
    const local = await this.#local.documentOf(jobId, caller);
    if (local !== undefined) return local;
    return this.link.sharedOr(async () => {
      const stored = await this.link.command(['GET', `${this.link.prefix}own:doc:${jobId}`]);
      if (typeof stored !== 'string') return undefined;
      const parsed = JSON.parse(stored) as { owner?: unknown; origin?: unknown };
      return parsed.owner === caller && typeof parsed.origin === 'string' ? parsed.origin : undefined;
    }, () => undefined);
  }
}
