/**
 * Documents uploaded to a remote server, waiting to be sent to Mindee: each is usable once,
 * only by the caller that made it, and only until it expires. Once sent, an upload is kept
 * (`keep`) for the review of its result, readable by its owner only, until its own expiry;
 * kept uploads are bounded per owner apart from those waiting, and count in the directory's bounds. The store keeps the records;
 * the files themselves live in the server's upload directory (private to the process, or one
 * every replica mounts when several share a store). The in-memory implementation serves one process.
 */
import { BoundedMap } from '../lib/bounded-map.js';
import { systemClock, type Clock } from '../lib/clock.js';

export interface UploadRecord {
  id: string;
  /** The caller that made it (its id): only it may use it. */
  owner: string;
  /** Where the checked document was written (as a record: the server finds the file from its id in its own upload directory). */
  path: string;
  filename: string;
  size: number;
  expiresAt: number;
  /** Sent already, kept for the review of its result: not claimable, not counted as waiting. */
  kept?: boolean;
}

/** What one owner's kept uploads may hold; past it, that owner's oldest kept uploads go first. */
export interface KeptLimits {
  count: number;
  bytes: number;
}

export type ClaimResult =
  | { ok: true; record: UploadRecord }
  /** `unknown` covers another caller's uploads: their existence is not revealed. `expired` hands the record back so its file can be deleted. */
  | { ok: false; reason: 'unknown' | 'used' | 'expired'; record?: UploadRecord };

/** What the uploads of a server may hold at once; uploads still arriving count as much as those waiting. */
export interface UploadLimits {
  /** Uploads of one owner. */
  perOwner: number;
  /** Uploads of everyone: the files of the upload directory. */
  files: number;
  /** Bytes of everyone's uploads (one still arriving counts as the bytes it reserved). */
  bytes: number;
  /** Upload files found in the directory (a shared one may hold files no record names): counted when more than the records. */
  onDisk?: number;
}

/** A place for an upload about to arrive: `bytes` is the most it can be. */
export interface Reservation {
  id: string;
  owner: string;
  bytes: number;
  expiresAt: number;
}

export type ReserveResult =
  /** `evicted`: uploads kept for review removed to make room (oldest kept first), so their files can be deleted. */
  | { ok: true; evicted?: UploadRecord[] }
  /** Which bound is reached, and what is held: the owner's uploads, or everyone's files and bytes. */
  | { ok: false; bound: 'owner' | 'files' | 'bytes'; count: number; bytes: number };

export interface UploadStore {
  /**
   * Takes a place for an upload before its body is read, checked against every bound and taken
   * in one step (parallel uploads cannot all pass the check before any is counted). The place is
   * counted until `put` turns it into a record or `release` gives it back; it cannot be claimed.
   * Uploads kept for review count in the directory's files and bytes, but never refuse a new
   * upload: the oldest kept, whoever's, are removed to make room (none unless that is enough).
   */
  reserve(reservation: Reservation, limits: UploadLimits): Promise<ReserveResult>;
  /** The upload arrived whole: its record replaces its reservation. */
  put(record: UploadRecord): Promise<void>;
  /** The upload did not arrive: its reservation is given back (a record already put stays). */
  release(id: string): Promise<void>;
  /** Takes an upload for use: once, by its owner, before it expires. */
  claim(id: string, owner: string): Promise<ClaimResult>;
  /** Uploads of `owner` not yet used nor expired, those still arriving included: their count and bytes. */
  pending(owner: string): Promise<{ count: number; bytes: number }>;
  /**
   * Keeps a claimed upload, sent, until `record.expiresAt`: then the owner's oldest kept uploads
   * past `limits` are removed and returned, so their files can be deleted.
   */
  keep(record: UploadRecord, limits: KeptLimits): Promise<UploadRecord[]>;
  /** A kept upload of `owner`, not expired; undefined otherwise (another owner's is unknown). */
  kept(id: string, owner: string): Promise<UploadRecord | undefined>;
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

/** A record, or the reservation of an upload still arriving (not claimable). */
type Stored = UploadRecord & { arriving?: true };

export class MemoryUploadStore implements UploadStore {
  readonly #records: BoundedMap<string, Stored>;
  readonly #used = new BoundedMap<string, string>(USED_REMEMBERED);

  /** `max` bounds the records kept; the server bounds uploads per caller well below it. */
  constructor(
    private readonly clock: Clock = systemClock,
    max = 100_000,
  ) {
    this.#records = new BoundedMap(max);
  }

  // Synchronous from check to take: one step, whatever else is in flight.
  async reserve(reservation: Reservation, limits: UploadLimits): Promise<ReserveResult> {
    const now = this.clock.now();
    let mine = 0;
    let known = 0;
    let bytes = 0;
    const kept: Stored[] = [];
    // Expired uploads not yet swept still have their files on the disk.
    for (const r of this.#records.values()) {
      known++;
      bytes += r.size;
      if (r.kept) kept.push(r);
      else if (r.owner === reservation.owner && r.expiresAt > now) mine++;
    }
    if (mine >= limits.perOwner) return { ok: false, bound: 'owner', count: mine, bytes: 0 };
    let files = Math.max(known, limits.onDisk ?? 0);
    const keptBytes = kept.reduce((sum, r) => sum + r.size, 0);
    if (files - kept.length >= limits.files) return { ok: false, bound: 'files', count: files, bytes };
    if (bytes - keptBytes + reservation.bytes > limits.bytes) return { ok: false, bound: 'bytes', count: files, bytes };
    const evicted: UploadRecord[] = [];
    // Kept in the order kept (the map's order): the oldest goes first.
    for (const r of kept) {
      if (files < limits.files && bytes + reservation.bytes <= limits.bytes) break;
      this.#records.delete(r.id);
      files--;
      bytes -= r.size;
      evicted.push(plain(r));
    }
    const { id, owner, expiresAt } = reservation;
    this.#records.set(id, { id, owner, path: '', filename: '', size: reservation.bytes, expiresAt, arriving: true });
    return evicted.length > 0 ? { ok: true, evicted } : { ok: true };
  }

  async put(record: UploadRecord): Promise<void> {
    this.#records.set(record.id, { ...record });
  }

  async release(id: string): Promise<void> {
    if (this.#records.peek(id)?.arriving) this.#records.delete(id);
  }

  async claim(id: string, owner: string): Promise<ClaimResult> {
    const stored = this.#records.peek(id);
    const record = stored && !stored.arriving && !stored.kept ? plain(stored) : undefined;
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
      if (r.owner === owner && r.expiresAt > now && !r.kept) {
        count++;
        bytes += r.size;
      }
    }
    return { count, bytes };
  }

  async keep(record: UploadRecord, limits: KeptLimits): Promise<UploadRecord[]> {
    // Set anew, so the map's order (oldest first) is the order kept.
    this.#records.delete(record.id);
    this.#records.set(record.id, { ...record, kept: true });
    const mine = [...this.#records.values()].filter((r) => r.kept && r.owner === record.owner);
    let bytes = mine.reduce((sum, r) => sum + r.size, 0);
    const evicted: UploadRecord[] = [];
    for (const r of mine) {
      if (mine.length - evicted.length <= limits.count && bytes <= limits.bytes) break;
      this.#records.delete(r.id);
      bytes -= r.size;
      evicted.push(plain(r));
    }
    return evicted;
  }

  async kept(id: string, owner: string): Promise<UploadRecord | undefined> {
    const stored = this.#records.peek(id);
    if (!stored?.kept || stored.owner !== owner || stored.expiresAt <= this.clock.now()) return undefined;
    return plain(stored);
  }

  async sweep(): Promise<UploadRecord[]> {
    const now = this.clock.now();
    const expired = [...this.#records.values()].filter((r) => r.expiresAt <= now);
    for (const r of expired) this.#records.delete(r.id);
    return expired.map(plain);
  }

  async drain(): Promise<UploadRecord[]> {
    const all = [...this.#records.values()];
    for (const r of all) this.#records.delete(r.id);
    return all.map(plain);
  }
}

function plain(stored: Stored): UploadRecord {
  const { arriving: _, ...record } = stored;
  return record;
}
