/**
 * Results already fetched, kept so a result can be read again — even from a model set to delete
 * its results once fetched. Each API key has its own partition (each caller, where callers share
 * a key): a result fetched in one is never served to another. Kept as the JSON text the API sent
 * (after redaction), bounded by count, bytes and age, as a whole and per partition.
 *
 * The API does not say which models delete their results once fetched, so no result may be
 * assumed fetchable again, and one caller's results must not push out another's: a partition over
 * its own bound loses its own least recently used results; when the whole store is over its bound,
 * the partition holding the most (results for the count bound, bytes for the byte bound) loses its
 * least recently used one. So a caller within an equal share of the store never loses a result for
 * another caller's sake. The in-memory implementation serves one process.
 */
import { systemClock, type Clock } from '../lib/clock.js';

export interface ResultMeta {
  /** The document's file name, for listings. */
  fileName: string | null;
  /** The product that made it (extraction, crop…), when known. */
  product: string | null;
}

/** A verdict on a result, kept with it: opaque to the store. */
interface StoredReview {
  /** What the verdict depends on besides the result (threshold, rules), so a verdict under other settings is made anew. */
  key: string;
  json: string;
}

export interface StoredResult {
  /** The API's inference JSON. */
  json: string;
  meta: ResultMeta;
  review?: StoredReview;
  /** A person's review decisions on the result (src/review): opaque to the store, kept as long as the result. */
  decisions?: string;
}

export interface ResultStore {
  get(inferenceId: string): Promise<StoredResult | undefined>;
  /** A result larger than the whole store, or than a partition's share, is not kept. */
  put(inferenceId: string, result: StoredResult): Promise<void>;
  delete(inferenceId: string): Promise<void>;
  /** Keeps a verdict with a result this partition holds (nothing when it holds none). */
  putReview(inferenceId: string, review: StoredReview): Promise<void>;
  /** The verdict kept with a result, without reading the result. */
  getReview(inferenceId: string): Promise<StoredReview | undefined>;
  /** Keeps review decisions with a result this partition holds, replacing earlier ones; false when it holds none (or they would not fit). */
  putDecisions(inferenceId: string, decisions: string): Promise<boolean>;
  /** The review decisions kept with a result, without reading the result. */
  getDecisions(inferenceId: string): Promise<string | undefined>;
  /** The results kept in this partition, most recently used last. */
  list(): Promise<Array<{ inferenceId: string; meta: ResultMeta }>>;
}

export interface ResultStoreLimits {
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
  /** Results one partition (one caller) keeps; beyond, its own least recently used go. */
  maxEntriesPerPartition: number;
  /** Bytes one partition keeps; beyond, its own least recently used results go. */
  maxBytesPerPartition: number;
}

export const DEFAULT_RESULT_STORE: Readonly<ResultStoreLimits> = Object.freeze({
  maxEntries: 100,
  maxBytes: 64 * 1024 * 1024,
  ttlMs: 60 * 60 * 1000,
  maxEntriesPerPartition: 100,
  maxBytesPerPartition: 64 * 1024 * 1024,
});

/** The bytes an entry counts: the result and what is kept beside it. */
function entryBytes(result: StoredResult): number {
  return result.json.length + (result.review ? result.review.key.length + result.review.json.length : 0) + (result.decisions?.length ?? 0);
}

interface Entry {
  inferenceId: string;
  result: StoredResult;
  bytes: number;
  expiresAt: number;
  /** When it was last used, in the store's order of uses. */
  used: number;
}

/** One partition's results, least recently used first (a Map's order, refreshed on use). */
interface Partition {
  entries: Map<string, Entry>;
  bytes: number;
}

/** Every partition of one process, under one bound: the limits hold for the process as a whole. */
export class MemoryResultStores {
  readonly #limits: ResultStoreLimits;
  readonly #parts = new Map<string, Partition>();
  #entries = 0;
  #bytes = 0;
  #uses = 0;

  constructor(limits: Partial<ResultStoreLimits> = {}, private readonly clock: Clock = systemClock) {
    this.#limits = { ...DEFAULT_RESULT_STORE, ...limits };
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries, bytes: this.#bytes };
  }

  partition(name: string): ResultStore {
    const part = () => {
      let p = this.#parts.get(name);
      if (!p) this.#parts.set(name, (p = { entries: new Map(), bytes: 0 }));
      return p;
    };
    return {
      get: async (id) => {
        const p = this.#parts.get(name);
        const entry = p?.entries.get(id);
        if (!p || !entry) return undefined;
        if (entry.expiresAt <= this.clock.now()) {
          this.#remove(name, id);
          return undefined;
        }
        p.entries.delete(id);
        p.entries.set(id, entry);
        entry.used = ++this.#uses;
        return entry.result;
      },
      put: async (id, result) => {
        this.#remove(name, id);
        const bytes = entryBytes(result);
        const { maxEntries, maxBytes, maxEntriesPerPartition, maxBytesPerPartition } = this.#limits;
        if (bytes > Math.min(maxBytes, maxBytesPerPartition) || Math.min(maxEntries, maxEntriesPerPartition) < 1) return;
        this.#dropExpired();
        const p = part();
        p.entries.set(id, { inferenceId: id, result, bytes, expiresAt: this.clock.now() + this.#limits.ttlMs, used: ++this.#uses });
        p.bytes += bytes;
        this.#entries++;
        this.#bytes += bytes;
        // The partition's own bound first: its own results make room.
        while (p.entries.size > maxEntriesPerPartition || p.bytes > maxBytesPerPartition) this.#evictFrom(name, p);
        // Then the store's: the partition holding the most gives way.
        while (this.#entries > maxEntries) this.#evictFrom(...this.#largest((q) => q.entries.size, name));
        while (this.#bytes > maxBytes) this.#evictFrom(...this.#largest((q) => q.bytes, name));
      },
      delete: async (id) => this.#remove(name, id),
      getReview: async (id) => {
        const entry = this.#parts.get(name)?.entries.get(id);
        return entry && entry.expiresAt > this.clock.now() ? entry.result.review : undefined;
      },
      putReview: async (id, review) => {
        const p = this.#parts.get(name);
        const entry = p?.entries.get(id);
        if (!p || !entry || entry.expiresAt <= this.clock.now()) return;
        this.#update(name, p, entry, { ...entry.result, review });
      },
      getDecisions: async (id) => {
        const entry = this.#parts.get(name)?.entries.get(id);
        return entry && entry.expiresAt > this.clock.now() ? entry.result.decisions : undefined;
      },
      putDecisions: async (id, decisions) => {
        const p = this.#parts.get(name);
        const entry = p?.entries.get(id);
        if (!p || !entry || entry.expiresAt <= this.clock.now()) return false;
        return this.#update(name, p, entry, { ...entry.result, decisions });
      },
      list: async () => {
        const now = this.clock.now();
        const out: Array<{ inferenceId: string; meta: ResultMeta }> = [];
        for (const entry of this.#parts.get(name)?.entries.values() ?? []) {
          if (entry.expiresAt > now) out.push({ inferenceId: entry.inferenceId, meta: entry.result.meta });
        }
        return out;
      },
    };
  }

  /** Replaces an entry's result by `result` (with a verdict or decisions), counting its bytes; false when it would not fit. */
  #update(name: string, p: Partition, entry: Entry, result: StoredResult): boolean {
    const bytes = entryBytes(result);
    const { maxBytes, maxBytesPerPartition } = this.#limits;
    if (bytes > Math.min(maxBytes, maxBytesPerPartition)) return false;
    p.bytes += bytes - entry.bytes;
    this.#bytes += bytes - entry.bytes;
    entry.bytes = bytes;
    entry.result = result;
    // What is kept beside a result counts like the result, and it was just used: older results make room first.
    p.entries.delete(entry.inferenceId);
    p.entries.set(entry.inferenceId, entry);
    entry.used = ++this.#uses;
    while (p.bytes > maxBytesPerPartition) this.#evictFrom(name, p);
    while (this.#bytes > maxBytes) this.#evictFrom(...this.#largest((q) => q.bytes, name));
    return p.entries.get(entry.inferenceId) === entry;
  }

  /** The partition holding the most by `measure`; of equals, `prefer`, else the one whose oldest use is oldest. */
  #largest(measure: (p: Partition) => number, prefer: string): [string, Partition] {
    let best: [string, Partition] | undefined;
    const oldest = (p: Partition) => p.entries.values().next().value?.used ?? Infinity;
    for (const [name, p] of this.#parts) {
      if (p.entries.size === 0) continue;
      if (!best) best = [name, p];
      else {
        const [bestName, bestPart] = best;
        const diff = measure(p) - measure(bestPart);
        if (diff > 0 || (diff === 0 && bestName !== prefer && (name === prefer || oldest(p) < oldest(bestPart)))) best = [name, p];
      }
    }
    return best!;
  }

  #evictFrom(name: string, p: Partition): void {
    const first = p.entries.keys().next();
    if (!first.done) this.#remove(name, first.value);
  }

  #dropExpired(): void {
    const now = this.clock.now();
    for (const [name, p] of this.#parts) {
      for (const [id, entry] of p.entries) if (entry.expiresAt <= now) this.#remove(name, id);
    }
  }

  #remove(name: string, id: string): void {
    const p = this.#parts.get(name);
    const entry = p?.entries.get(id);
    if (!p || !entry) return;
    p.entries.delete(id);
    p.bytes -= entry.bytes;
    this.#entries--;
    this.#bytes -= entry.bytes;
    if (p.entries.size === 0) this.#parts.delete(name);
  }
}
