/**
 * The uploads of a remote server: how a caller gets a document to it without pushing base64
 * through the model. POST /uploads (`upload-route.ts`, the body read by `upload-intake.ts`) streams
 * the document to the upload directory — a private one (0700) per process, or
 * MINDEE_MCP_UPLOAD_DIR, which every replica mounts — and answers an upload id that the enqueue
 * tools claim once (here), for the principal that made it, within 15 minutes; with the records in
 * Redis and a shared directory, on any replica. Once sent, the file is kept for the review of its
 * result (readable by its owner only) as long as the result may be kept (`keptMs`:
 * MINDEE_MCP_CACHE_TTL, at most Mindee's 24 h), within a bound per owner of its own (the oldest
 * goes first) and within the directory's bounds. Expired files are swept every minute.
 */
import { constants } from 'node:fs';
import { access, lstat, mkdir, mkdtemp, opendir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { RequestHandler } from 'express';
import { MindeeInputError } from '../client/errors.js';
import { DEFAULT_INPUT_LIMITS } from '../client/inputs.js';
import { ConfigError, DEFAULT_UPLOAD_DIR_MB } from '../config.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { StateUnavailableError } from '../state/errors.js';
import type { ClaimResult, KeptLimits, UploadLimits, UploadRecord, UploadStore } from '../state/uploads.js';
import { clip, formatBytes } from '../lib/text.js';
import type { DocumentToSend } from '../tools/define.js';
import type { Metrics } from './metrics.js';
import { removeQuietly, UPLOAD_ID } from './upload-intake.js';
import { uploadRoute } from './upload-route.js';

const UPLOAD_TTL_MS = 15 * 60 * 1000;
/** Uploads one principal may have waiting at once. */
export const MAX_PENDING_UPLOADS = 20;
/** Sent uploads one principal may have kept for review at once (past it, its oldest goes first). */
const MAX_KEPT_UPLOADS = 50;
/** Bytes of one principal's kept uploads (past it, its oldest goes first). */
const MAX_KEPT_UPLOAD_BYTES = 200 * 1024 * 1024;
/** Files the upload directory may hold at once, whoever sent them: the disk is everyone's. */
const MAX_FILES_IN_DIR = 1000;

const SWEEP_EVERY_MS = 60_000;
/**
 * A file in a shared directory with no record left (a replica that died mid-upload, a Redis that
 * restarted empty) is deleted this long after its upload expired: past any send still reading it.
 */
const ORPHAN_AFTER_MS = 3600_000;
/** Entries of a shared directory looked at by one sweep. */
const ORPHANS_SCANNED = 10_000;
const AGAIN = 'Upload the document again (POST /uploads) and pass the new upload_id.';

export interface UploadsOptions {
  store: UploadStore;
  /** A directory every replica mounts (MINDEE_MCP_UPLOAD_DIR); without it, a private one, removed on close. */
  dir?: string;
  /** Other replicas serve the same callers but each keeps its uploads (Redis without a shared directory): an unknown id says so. */
  perReplica?: boolean;
  maxFileBytes?: number;
  /** What the directory may hold at once; uploads still arriving count (defaults: 20 per principal, 1 000 files, 2 GB). */
  limits?: Partial<UploadLimits>;
  /** How long a body may take to arrive (MINDEE_MCP_HTTP_TIMEOUT): an upload's place is kept at least this long. */
  arrivalMs?: number;
  ttlMs?: number;
  /** How long a sent upload is kept for its review (its result's lifetime); 0 deletes it once sent. */
  keptMs?: number;
  /** What one principal's kept uploads may hold (defaults: 50 files, 200 MB). */
  keptLimits?: Partial<KeptLimits>;
  clock?: Clock;
  metrics?: Metrics;
  log: Logger;
  /** Opens the new file of an upload for writing (tests inject a disk that fills up). */
  createFile?: (path: string) => Writable;
}

export class Uploads {
  readonly #store: UploadStore;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #sweeper: NodeJS.Timeout;
  readonly #keptMs: number;
  readonly #keptLimits: KeptLimits;
  /** POST /uploads. */
  readonly route: RequestHandler;

  private constructor(
    readonly dir: string,
    /** The directory is the operator's (MINDEE_MCP_UPLOAD_DIR): it stays, and its orphans are swept. */
    private readonly configured: boolean,
    private readonly options: UploadsOptions,
  ) {
    this.#store = options.store;
    this.#ttlMs = options.ttlMs ?? UPLOAD_TTL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#keptMs = Math.max(0, options.keptMs ?? 0);
    this.#keptLimits = { count: MAX_KEPT_UPLOADS, bytes: MAX_KEPT_UPLOAD_BYTES, ...options.keptLimits };
    const limits: UploadLimits = { perOwner: MAX_PENDING_UPLOADS, files: MAX_FILES_IN_DIR, bytes: DEFAULT_UPLOAD_DIR_MB * 1024 * 1024, ...options.limits };
    this.route = uploadRoute({
      store: this.#store,
      dir,
      configured,
      maxBytes: options.maxFileBytes ?? DEFAULT_INPUT_LIMITS.maxFileBytes,
      createFile: options.createFile,
      ttlMs: this.#ttlMs,
      arrivalMs: options.arrivalMs ?? 0,
      limits,
      clock: this.#clock,
      metrics: options.metrics,
      log: options.log,
      fileOf: (id) => this.#fileOf(id),
    });
    this.#sweeper = setInterval(() => {
      // A store that is away was said once, where it went; the next sweep takes what this one left.
      this.sweep().catch((error: unknown) => {
        if (!(error instanceof StateUnavailableError)) options.log.warn(`uploads not swept: ${error instanceof Error ? error.message : String(error)}`);
      });
    }, SWEEP_EVERY_MS);
    this.#sweeper.unref();
  }

  /** Makes the private directory (mkdtemp creates it 0700), or checks the configured one (made 0700 when missing). */
  static async create(options: UploadsOptions): Promise<Uploads> {
    if (!options.dir) return new Uploads(await mkdtemp(join(tmpdir(), 'mindee-mcp-uploads-')), false, options);
    try {
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      await access(options.dir, constants.R_OK | constants.W_OK | constants.X_OK);
      if (!(await lstat(options.dir)).isDirectory()) throw new Error('it is not a directory');
    } catch (error) {
      throw new ConfigError(
        `MINDEE_MCP_UPLOAD_DIR ${clip(options.dir, 200)} cannot be used (${(error as Error).message}): make it a directory this server may read and write, or mount the shared volume there.`,
      );
    }
    return new Uploads(options.dir, true, options);
  }

  /** Where the file of an upload is: found from its id in this server's directory, never from a path read back from a store. */
  #fileOf(id: string): string {
    return join(this.dir, id);
  }

  /** Claims an upload of `owner` for one enqueue, sent under its own name unless `filename` is given. */
  async claim(uploadId: string, owner: string, filename?: string): Promise<DocumentToSend> {
    const shown = clip(uploadId, 80);
    let result: ClaimResult = { ok: false, reason: 'unknown' };
    if (UPLOAD_ID.test(uploadId)) {
      try {
        result = await this.#store.claim(uploadId, owner);
      } catch (error) {
        if (!(error instanceof StateUnavailableError)) throw error;
        throw new MindeeInputError(`Upload ${shown} cannot be claimed now. ${error.message}`, { hint: 'Try again in a moment: the upload stays usable until it expires.' });
      }
    }
    if (!result.ok) {
      if (result.record) await removeQuietly(this.#fileOf(result.record.id));
      if (result.reason === 'expired') throw new MindeeInputError(`Upload ${shown} has expired (uploads last ${this.#ttlMs / 60_000} minutes).`, { hint: AGAIN });
      if (result.reason === 'used') throw new MindeeInputError(`Upload ${shown} was already used: an upload is sent once.`, { hint: AGAIN });
      const elsewhere = this.options.perReplica
        ? ', or was received by another replica of this server (each keeps its own uploads unless MINDEE_MCP_UPLOAD_DIR names a directory every replica mounts)'
        : '';
      throw new MindeeInputError(`Upload ${shown} was not found: it does not exist, or was made with other credentials${elsewhere}.`, { hint: AGAIN });
    }
    const path = this.#fileOf(result.record.id);
    const found = await lstat(path).catch(() => null);
    if (!found) {
      throw new MindeeInputError(`Upload ${shown} is recorded, but its file is not in this server's upload directory: the replica that received it writes elsewhere.`, {
        hint: `${AGAIN} The operator should point MINDEE_MCP_UPLOAD_DIR of every replica at one shared directory.`,
      });
    }
    const record = result.record;
    return {
      source: { path, filename: filename ?? record.filename, upload: uploadId },
      settle: (sent) => (sent ? this.#keep(record) : removeQuietly(path)),
    };
  }

  /** Keeps a sent upload for its review; the owner's oldest kept uploads past the bound are deleted. */
  async #keep(record: UploadRecord): Promise<void> {
    if (this.#keptMs === 0) return removeQuietly(this.#fileOf(record.id));
    let evicted;
    try {
      evicted = await this.#store.keep({ ...record, expiresAt: this.#clock.now() + this.#keptMs }, this.#keptLimits);
    } catch (error) {
      // Not recorded, so not kept (its review says the document is gone); the send itself succeeded.
      await removeQuietly(this.#fileOf(record.id));
      if (!(error instanceof StateUnavailableError)) this.options.log.warn(`sent upload not kept for review: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    for (const old of evicted) if (UPLOAD_ID.test(old.id)) await removeQuietly(this.#fileOf(old.id));
  }

  /** The file of a sent upload kept for `owner`, or why there is none (another owner's is not found either). */
  async kept(uploadId: string, owner: string): Promise<{ path: string } | { reason: string }> {
    const gone = {
      reason: `The uploaded document is no longer kept: a sent upload is kept as long as its result (${Math.round(this.#keptMs / 60_000)} minutes), at most ${this.#keptLimits.count} files and ${formatBytes(this.#keptLimits.bytes)} per caller (the oldest goes first), and gives its place to new uploads when the upload directory is full.`,
    };
    if (!UPLOAD_ID.test(uploadId)) return gone;
    let record;
    try {
      record = await this.#store.kept(uploadId, owner);
    } catch (error) {
      if (error instanceof StateUnavailableError) return { reason: `The uploaded document cannot be looked up now: ${error.message}` };
      throw error;
    }
    if (!record) {
      const elsewhere = this.options.perReplica ? ' It may also be kept by another replica of this server (each keeps its own uploads unless MINDEE_MCP_UPLOAD_DIR names a directory every replica mounts).' : '';
      return { reason: gone.reason + elsewhere };
    }
    const path = this.#fileOf(record.id);
    const found = await lstat(path).catch(() => null);
    if (!found?.isFile() || found.size !== record.size) return { reason: "The uploaded document's file is not in this server's upload directory." };
    return { path };
  }

  /** Deletes the files of expired uploads (and, in a configured directory, files no record names any more). */
  async sweep(): Promise<void> {
    for (const record of await this.#store.sweep()) if (UPLOAD_ID.test(record.id)) await removeQuietly(this.#fileOf(record.id));
    if (this.configured) await this.#sweepOrphans();
  }

  async #sweepOrphans(): Promise<void> {
    // A kept upload's file is as old as its upload: it may live its upload's time, then its keeping.
    const before = this.#clock.now() - this.#ttlMs - this.#keptMs - ORPHAN_AFTER_MS;
    let scanned = 0;
    for await (const entry of await opendir(this.dir)) {
      if (++scanned > ORPHANS_SCANNED) break;
      if (!entry.isFile() || !UPLOAD_ID.test(entry.name)) continue;
      const path = this.#fileOf(entry.name);
      const stats = await lstat(path).catch(() => null);
      if (stats && stats.mtimeMs < before) await removeQuietly(path);
    }
  }

  /**
   * Stops sweeping and deletes the files of the uploads no one can claim once this process is
   * gone; a shared store keeps its uploads, for the other replicas. A private directory goes.
   */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const left = await this.#store.drain().catch(() => []);
    for (const record of left) if (UPLOAD_ID.test(record.id)) await removeQuietly(this.#fileOf(record.id));
    if (!this.configured) await rm(this.dir, { recursive: true, force: true });
  }
}

export type { UploadRecord };
