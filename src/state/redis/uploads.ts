/**
 * Upload records in Redis, so an upload_id made on one replica is claimed on another (their
 * files are in a directory every replica mounts: MINDEE_MCP_UPLOAD_DIR). The claim is one
 * script: an upload is taken once, by the caller that made it, before it expires, however
 * many replicas try at once. A shutdown drains nothing: another replica may still claim what
 * this one received, and whichever replica sweeps next deletes what has expired.
 *
 * While Redis is away every call fails at once with StateUnavailableError (the uploads are
 * refused, the claims can be tried again): a record kept locally could be claimed twice. The
 * scripts, and how an upload is kept in Redis, are lua/uploads/*.lua.
 */
import { systemClock, type Clock } from '../../lib/clock.js';
import type { ClaimResult, KeptLimits, Reservation, ReserveResult, UploadLimits, UploadRecord, UploadStore } from '../uploads.js';
import type { RedisLink } from './link.js';
import type { ScriptName } from './scripts.js';
import { keySafe } from './result-store.js';

/** How long a used id is remembered, so reusing one is told apart from a wrong id. */
const USED_REMEMBERED_MS = 24 * 3600_000;
/** Expired uploads taken by one sweep; the next sweep takes more. */
const SWEEP_BATCH = 500;

type Reply = Array<string | number | null>;
const WIDTH = 6;

export class RedisUploadStore implements UploadStore {
  constructor(
    private readonly link: RedisLink,
    private readonly clock: Clock = systemClock,
  ) {}

  async reserve(reservation: Reservation, limits: UploadLimits): Promise<ReserveResult> {
    const { id, owner, bytes, expiresAt } = reservation;
    const reply = (await this.#run('uploadsReserve', [id, owner, keySafe(owner), String(bytes), String(expiresAt), String(limits.perOwner), String(limits.files), String(limits.bytes), String(limits.onDisk ?? 0)])) as Reply;
    const [outcome, count, held] = reply;
    if (outcome === 'ok') {
      const evicted = records(reply.slice(1));
      return evicted.length > 0 ? { ok: true, evicted } : { ok: true };
    }
    return { ok: false, bound: outcome === 'owner' ? 'owner' : outcome === 'files' ? 'files' : 'bytes', count: Number(count), bytes: Number(held) };
  }

  async release(id: string): Promise<void> {
    await this.#run('uploadsRelease', [id]);
  }

  async put(record: UploadRecord): Promise<void> {
    const { id, owner, path, filename, size, expiresAt } = record;
    await this.#run('uploadsPut', [id, owner, keySafe(owner), path, filename, String(size), String(expiresAt)]);
  }

  async claim(id: string, owner: string): Promise<ClaimResult> {
    const reply = (await this.#run('uploadsClaim', [id, owner, String(USED_REMEMBERED_MS)])) as Reply;
    const [outcome, ...fields] = reply;
    if (outcome === 'ok') return { ok: true, record: toRecord(id, fields) };
    if (outcome === 'expired') return { ok: false, reason: 'expired', record: toRecord(id, fields) };
    return { ok: false, reason: outcome === 'used' ? 'used' : 'unknown' };
  }

  async keep(record: UploadRecord, limits: KeptLimits): Promise<UploadRecord[]> {
    const { id, owner, path, filename, size, expiresAt } = record;
    const reply = (await this.#run('uploadsKeep', [id, owner, keySafe(owner), path, filename, String(size), String(expiresAt), String(limits.count), String(limits.bytes)])) as Reply;
    return records(reply);
  }

  async kept(id: string, owner: string): Promise<UploadRecord | undefined> {
    const reply = (await this.#run('uploadsKept', [id, owner])) as Reply;
    return reply.length > 0 ? { ...toRecord(id, reply), kept: true } : undefined;
  }

  async pending(owner: string): Promise<{ count: number; bytes: number }> {
    const [count, bytes] = (await this.#run('uploadsPending', [keySafe(owner)])) as [unknown, unknown];
    return { count: Number(count), bytes: Number(bytes) };
  }

  async sweep(): Promise<UploadRecord[]> {
    return records((await this.#run('uploadsSweep', [String(SWEEP_BATCH)])) as Reply);
  }

  /** Nothing: the uploads this process received may still be claimed on another. */
  async drain(): Promise<UploadRecord[]> {
    return [];
  }

  #run(script: ScriptName, args: string[]): Promise<unknown> {
    return this.link.required(() => this.link.eval(script, [], [this.link.prefix, String(this.clock.now()), ...args]), 'Uploads are recorded in');
  }
}

/** Records listed as {id, fields…, id, fields…}. */
function records(reply: Reply): UploadRecord[] {
  const out: UploadRecord[] = [];
  for (let i = 0; i + WIDTH < reply.length; i += WIDTH + 1) out.push(toRecord(String(reply[i]), reply.slice(i + 1, i + 1 + WIDTH)));
  return out;
}

/** A record from its fields in the order of the scripts' FIELDS. */
function toRecord(id: string, fields: Reply): UploadRecord {
  const [owner, path, filename, size, expiresAt] = fields;
  return { id, owner: String(owner), path: String(path), filename: String(filename), size: Number(size), expiresAt: Number(expiresAt) };
}
