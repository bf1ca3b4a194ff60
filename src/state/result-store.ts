/**
 * Results already fetched, kept so a result can be read again — even from a model set to delete
 * its results once fetched. Each API key has its own partition: a result fetched with one key is
 * never served to another. Kept as the JSON text the API sent (after redaction), bounded by
 * count, bytes and age. The in-memory implementation serves one process.
 */
import { BoundedMap } from './bounded-map.js';
import { systemClock, type Clock } from './clock.js';

export interface ResultMeta {
  /** The document's file name, for listings. */
  fileName: string | null;
  /** The product that made it (extraction, crop…), when known. */
  product: string | null;
}

/** A verdict on a result, kept with it: opaque to the store. */
export interface StoredReview {
  /** What the verdict depends on besides the result (threshold, rules), so a verdict under other settings is made anew. */
  key: string;
  json: string;
}

export interface StoredResult {
  /** The API's inference JSON. */
  json: string;
  meta: ResultMeta;
  review?: StoredReview;
}

export interface ResultStore {
  get(inferenceId: string): Promise<StoredResult | undefined>;
  /** A result larger than the whole store is not kept. */
  put(inferenceId: string, result: StoredResult): Promise<void>;
  delete(inferenceId: string): Promise<void>;
  /** Keeps a verdict with a result this partition holds (nothing when it holds none). */
  putReview(inferenceId: string, review: StoredReview): Promise<void>;
  /** The verdict kept with a result, without reading the result. */
  getReview(inferenceId: string): Promise<StoredReview | undefined>;
  /** The results kept in this partition, most recently used last. */
  list(): Promise<Array<{ inferenceId: string; meta: ResultMeta }>>;
}

export interface ResultStoreLimits {
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
}

export const DEFAULT_RESULT_STORE: Readonly<ResultStoreLimits> = Object.freeze({
  maxEntries: 100,
  maxBytes: 64 * 1024 * 1024,
  ttlMs: 60 * 60 * 1000,
});

interface Entry {
  partition: string;
  inferenceId: string;
  result: StoredResult;
  bytes: number;
  expiresAt: number;
}

/** Every partition of one process, under one bound: the limits hold for the process as a whole. */
export class MemoryResultStores {
  readonly #limits: ResultStoreLimits;
  readonly #entries: BoundedMap<string, Entry>;
  #bytes = 0;

  constructor(limits: Partial<ResultStoreLimits> = {}, private readonly clock: Clock = systemClock) {
    this.#limits = { ...DEFAULT_RESULT_STORE, ...limits };
    this.#entries = new BoundedMap(this.#limits.maxEntries, (_key, entry) => {
      this.#bytes -= entry.bytes;
    });
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  partition(name: string): ResultStore {
    const key = (id: string) => `${name}\u0000${id}`;
    return {
      get: async (id) => {
        const entry = this.#entries.get(key(id));
        if (!entry) return undefined;
        if (entry.expiresAt <= this.clock.now()) {
          this.#remove(key(id));
          return undefined;
        }
        return entry.result;
      },
      put: async (id, result) => {
        this.#remove(key(id));
        const bytes = result.json.length;
        if (bytes > this.#limits.maxBytes || this.#limits.maxEntries < 1) return;
        this.#bytes += bytes;
        this.#entries.set(key(id), { partition: name, inferenceId: id, result, bytes, expiresAt: this.clock.now() + this.#limits.ttlMs });
        this.#entries.evictWhile(() => this.#bytes > this.#limits.maxBytes);
      },
      delete: async (id) => this.#remove(key(id)),
      getReview: async (id) => {
        const entry = this.#entries.peek(key(id));
        return entry && entry.expiresAt > this.clock.now() ? entry.result.review : undefined;
      },
      putReview: async (id, review) => {
        const entry = this.#entries.peek(key(id));
        if (!entry || entry.expiresAt <= this.clock.now()) return;
        const bytes = entry.result.json.length + review.key.length + review.json.length;
        if (bytes > this.#limits.maxBytes) return;
        this.#bytes += bytes - entry.bytes;
        entry.bytes = bytes;
        entry.result = { ...entry.result, review };
        this.#entries.evictWhile(() => this.#bytes > this.#limits.maxBytes);
      },
      list: async () => {
        const now = this.clock.now();
        const out: Array<{ inferenceId: string; meta: ResultMeta }> = [];
        for (const entry of this.#entries.values()) {
          if (entry.partition === name && entry.expiresAt > now) out.push({ inferenceId: entry.inferenceId, meta: entry.result.meta });
        }
        return out;
      },
    };
  }

  #remove(key: string): void {
    const entry = this.#entries.peek(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}
