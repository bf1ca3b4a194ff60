/**
 * Documents uploaded to a remote server, waiting to be sent to Mindee: each is usable once,
 * only by the caller that made it, and only until it expires. The store keeps the records;
 * the files themselves live in the server's upload directory (private to the process, or one
 * every replica mounts when several share a store). The in-memory implementation serves one process.
 */
import { BoundedMap } from './bounded-map.js';
import { systemClock, type Clock } from './clock.js';

export interface UploadRecord {
  id: string;
  /** The caller that made it (its id): only it may use it. */
  owner: string;
  /** Where the checked document was written (as a record: the server finds the file from its id in its own upload directory). */
  path: string;
  filename: string;
  size: number;
  expiresAt: number;
}

export type ClaimResult =
  | { ok: true; record: UploadRecord }
  /** `unknown` covers another caller's uploads: their existence is not revealed. `expired` hands the record back so its file can be deleted. */
  | { ok: false; reason: 'unknown' | 'used' | 'expired'; record?: UploadRecord };

export interface UploadStore {
  put(record: UploadRecord): Promise<void>;
  /** Takes an upload for use: once, by its owner, before it expires. */
  claim(id: string, owner: string): Promise<ClaimResult>;
  /** Uploads of `owner` not yet used nor expired: their count and bytes. */
  pending(owner: string): Promise<{ count: number; bytes: number }>;
  /** Removes and returns the uploads expired by now, so their files can be deleted. */
  sweep(): Promise<UploadRecord[]>;
  /**
   * On shutdown, the uploads no one else could claim once this process is gone, taken so their
   * files can be deleted: every one not yet used for a store of one process, none for a shared one.
   */
  drain(): Promise<UploadRecord[]>;
}

/** Used ids remembered, so reusing one is told apart from a wrong id. */
const USED_REMEMBERED = 10_000;

export class MemoryUploadStore implements UploadStore {
  readonly #records: BoundedMap<string, UploadRecord>;
  readonly #used = new BoundedMap<string, string>(USED_REMEMBERED);

  /** `max` bounds the records kept; the server bounds uploads per caller well below it. */
  constructor(
    private readonly clock: Clock = systemClock,
    max = 100_000,
  ) {
    this.#records = new BoundedMap(max);
  }

  async put(record: UploadRecord): Promise<void> {
    this.#records.set(record.id, record);
  }

  async claim(id: string, owner: string): Promise<ClaimResult> {
    const record = this.#records.peek(id);
    if (!record || record.owner !== owner) {
      return this.#used.peek(id) === owner ? { ok: false, reason: 'used' } : { ok: false, reason: 'unknown' };
    }
    this.#records.delete(id);
    if (record.expiresAt <= this.clock.now()) return { ok: false, reason: 'expired', record };
    this.#used.set(id, owner);
    return { ok: true, record };
  }

  async pending(owner: string): Promise<{ count: number; bytes: number }> {
    let count = 0;
    let bytes = 0;
    const now = this.clock.now();
    for (const r of this.#records.values()) {
      if (r.owner === owner && r.expiresAt > now) {
        count++;
        bytes += r.size;
      }
    }
    return { count, bytes };
  }

  async sweep(): Promise<UploadRecord[]> {
    const now = this.clock.now();
    const expired = [...this.#records.values()].filter((r) => r.expiresAt <= now);
    for (const r of expired) this.#records.delete(r.id);
    return expired;
  }

  async drain(): Promise<UploadRecord[]> {
    const all = [...this.#records.values()];
    for (const r of all) this.#records.delete(r.id);
    return all;
  }
}
