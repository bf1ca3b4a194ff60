/**
 * Who started each job, and so whose its inference is: recorded when the job is enqueued (and
 * for its inference when its result is first seen), so that an id alone never reads another
 * caller's job or result. Kept as long as Mindee may keep a result (24 h), bounded in number per
 * caller (past the bound, that caller's oldest records go first: its own oldest jobs then answer
 * as unknown) and, in memory, in all. The first owner of an id stays its owner.
 */
import { BoundedMap } from '../lib/bounded-map.js';
import { systemClock, type Clock } from '../lib/clock.js';

/** A job id, or the id of the inference a job made. */
export type OwnedKind = 'job' | 'inference';

export interface JobOwners {
  /** Records `caller` as the owner of `id` unless another caller already is. */
  record(kind: OwnedKind, id: string, caller: string): Promise<void>;
  /** The owner of `id`; undefined when none is recorded (never started here, expired or forgotten). */
  ownerOf(kind: OwnedKind, id: string): Promise<string | undefined>;
  /**
   * Records which document a job was sent from (a review shows its pages later), for the job's
   * owner only; kept as long as the owner record. `origin` is opaque JSON, bounded by the caller.
   */
  recordDocument(jobId: string, caller: string, origin: string): Promise<void>;
  /** The document a job of `caller` was sent from; undefined for another caller's job, or none recorded. */
  documentOf(jobId: string, caller: string): Promise<string | undefined>;
}

/** Largest document record kept (a path or URL and a few facts). */
export const MAX_DOCUMENT_RECORD_BYTES = 8192;

export interface OwnerLimits {
  ttlMs: number;
  perCaller: number;
  /** All records of one process (memory only; Redis is bounded by its own memory policy). */
  maxEntries: number;
}

export const DEFAULT_OWNER_LIMITS: Readonly<OwnerLimits> = Object.freeze({
  ttlMs: 24 * 3600_000,
  perCaller: 20_000,
  maxEntries: 200_000,
});

interface Entry {
  owner: string;
  expiresAt: number;
}

export class MemoryJobOwners implements JobOwners {
  readonly #limits: OwnerLimits;
  /** By `kind:id`, in the order recorded: with one ttl for all, also the order of expiry. */
  readonly #entries = new Map<string, Entry>();
  /** Each caller's records, oldest first. */
  readonly #byCaller = new Map<string, Set<string>>();
  /** The document of each job, by job id: owner, origin and expiry. */
  readonly #documents: BoundedMap<string, { owner: string; origin: string; expiresAt: number }>;

  constructor(limits: Partial<OwnerLimits> = {}, private readonly clock: Clock = systemClock) {
    this.#limits = { ...DEFAULT_OWNER_LIMITS, ...limits };
    this.#documents = new BoundedMap(this.#limits.maxEntries);
  }

  async recordDocument(jobId: string, caller: string, origin: string): Promise<void> {
    if (origin.length > MAX_DOCUMENT_RECORD_BYTES) return;
    const current = this.#documents.get(jobId);
    if (current && current.owner !== caller && current.expiresAt > this.clock.now()) return;
    this.#documents.set(jobId, { owner: caller, origin, expiresAt: this.clock.now() + this.#limits.ttlMs });
  }

  async documentOf(jobId: string, caller: string): Promise<string | undefined> {
    const entry = this.#documents.get(jobId);
    if (!entry || entry.owner !== caller || entry.expiresAt <= this.clock.now()) return undefined;
    return entry.origin;
  }

  get size(): number {
    return this.#entries.size;
  }

  async record(kind: OwnedKind, id: string, caller: string): Promise<void> {
    const key = `${kind}:${id}`;
    const now = this.clock.now();
    const current = this.#entries.get(key);
    if (current && current.expiresAt > now && current.owner !== caller) return;
    this.#remove(key);
    this.#entries.set(key, { owner: caller, expiresAt: now + this.#limits.ttlMs });
    let own = this.#byCaller.get(caller);
    if (!own) this.#byCaller.set(caller, (own = new Set()));
    own.add(key);
    for (const oldest of own) {
      if (own.size <= this.#limits.perCaller) break;
      this.#remove(oldest);
    }
    for (const [k, entry] of this.#entries) {
      if (this.#entries.size <= this.#limits.maxEntries && entry.expiresAt > now) break;
      this.#remove(k);
    }
  }

  async ownerOf(kind: OwnedKind, id: string): Promise<string | undefined> {
    const key = `${kind}:${id}`;
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.#remove(key);
      return undefined;
    }
    return entry.owner;
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const own = this.#byCaller.get(entry.owner);
    own?.delete(key);
    if (own?.size === 0) this.#byCaller.delete(entry.owner);
  }
}
