/**
 * POST /uploads: how a caller gets a document to a remote server without pushing base64 through
 * the model. The body (raw, or the first file of a multipart form) streams to the upload
 * directory — a private one (0700) per process, or MINDEE_MCP_UPLOAD_DIR, which every replica
 * mounts — cut off at the size limit; the file then passes every ingress check of a local file
 * (prepareDocument: sniffed type, encrypted PDFs, empty files), and again when it is sent. The
 * answer is an upload id that the enqueue tools take once, for the principal that made it,
 * within 15 minutes; with the records in Redis and a shared directory, on any replica. Once
 * sent, the file is kept for the review of its result (readable by its owner only) as long as
 * the result may be kept (`keptMs`: MINDEE_MCP_CACHE_TTL, at most Mindee's 24 h), within a bound
 * per owner of its own (the oldest goes first) and within the directory's bounds.
 */
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, lstat, mkdir, mkdtemp, opendir, readdir, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import type { Request, RequestHandler, Response } from 'express';
import { describeError, MindeeInputError } from '../client/errors.js';
import { DEFAULT_INPUT_LIMITS, prepareDocument } from '../client/inputs.js';
import { ConfigError, DEFAULT_UPLOAD_DIR_MB } from '../config.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { StateUnavailableError } from '../state/errors.js';
import type { ClaimResult, KeptLimits, UploadLimits, UploadRecord, UploadStore } from '../state/uploads.js';
import { clip, formatBytes } from '../lib/text.js';
import type { ClaimedUpload } from '../tools/define.js';
import { principalOf } from './auth.js';
import type { Metrics } from './metrics.js';

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
const UPLOAD_ID = /^up_[A-Za-z0-9_-]{16,64}$/;
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

class TooLarge extends Error {}
/** A multipart body that cannot be parsed: the client's mistake, said as such. */
class BadMultipart extends Error {}
/** Errors of the disk itself: the server's side, said and logged. */
const DISK_ERRORS: Record<string, string> = {
  ENOSPC: 'its disk is full',
  EDQUOT: 'its disk quota is used up',
  EIO: 'its disk failed to write',
  EROFS: 'its upload directory is read-only',
  EMFILE: 'it has too many files open',
  ENFILE: 'it has too many files open',
};

type Refuse = (status: number, error: string, description: string, outcome?: 'refused' | 'too_large' | 'busy') => void;
/** What a multipart body carries besides its file, at most, for the check of its declared length. */
const MULTIPART_OVERHEAD = 64 * 1024;

export class Uploads {
  readonly #store: UploadStore;
  readonly #maxBytes: number;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #sweeper: NodeJS.Timeout;
  readonly #limits: UploadLimits;
  readonly #keptMs: number;
  readonly #keptLimits: KeptLimits;

  private constructor(
    readonly dir: string,
    /** The directory is the operator's (MINDEE_MCP_UPLOAD_DIR): it stays, and its orphans are swept. */
    private readonly configured: boolean,
    private readonly options: UploadsOptions,
  ) {
    this.#store = options.store;
    this.#maxBytes = options.maxFileBytes ?? DEFAULT_INPUT_LIMITS.maxFileBytes;
    this.#ttlMs = options.ttlMs ?? UPLOAD_TTL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#keptMs = Math.max(0, options.keptMs ?? 0);
    this.#keptLimits = { count: MAX_KEPT_UPLOADS, bytes: MAX_KEPT_UPLOAD_BYTES, ...options.keptLimits };
    this.#limits = { perOwner: MAX_PENDING_UPLOADS, files: MAX_FILES_IN_DIR, bytes: DEFAULT_UPLOAD_DIR_MB * 1024 * 1024, ...options.limits };
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

  readonly route: RequestHandler = (req, res, next) => {
    this.#receive(req, res).catch(next);
  };

  async #receive(req: Request, res: Response): Promise<void> {
    const owner = principalOf(res).caller.id;
    const refuse = (status: number, error: string, description: string, outcome: 'refused' | 'too_large' | 'busy' = 'refused') => {
      this.options.metrics?.upload(outcome);
      // The rest of a body not read is not waited for.
      if (!req.complete) res.set('Connection', 'close');
      res.status(status).json({ error, error_description: description });
    };
    const unavailable = (error: StateUnavailableError) => {
      res.set('Retry-After', '5');
      refuse(503, 'temporarily_unavailable', `Uploads cannot be taken now: ${error.message}`);
    };
    const tooLarge = () =>
      refuse(413, 'too_large', `The document is over the ${formatBytes(this.#maxBytes)} limit for one document. Split the PDF, or compress the images, and upload each part.`, 'too_large');
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== '') {
      return refuse(415, 'unsupported_encoding', `Content-Encoding ${clip(encoding, 40)} is not taken for uploads: send the document's own bytes, without Content-Encoding (PDF and images are compressed already).`);
    }
    const declared = Number(req.headers['content-length']);
    // A multipart body carries a little more than its file.
    if (Number.isFinite(declared) && declared > this.#maxBytes + MULTIPART_OVERHEAD) return tooLarge();
    // A configured directory may hold files no record names (another deployment, a replica that died): the store counts them too.
    const onDisk = this.configured ? (await readdir(this.dir)).length : undefined;

    const id = `up_${randomBytes(18).toString('base64url')}`;
    // The most this body can put on the disk: its declared length, or the limit for one document.
    const bytes = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, this.#maxBytes) : this.#maxBytes;
    // Arriving uploads count against every bound: the check and the taking of a place are one step of the store.
    let reserved;
    try {
      reserved = await this.#store.reserve({ id, owner, bytes, expiresAt: this.#clock.now() + Math.max(this.#ttlMs, this.options.arrivalMs ?? 0) }, { ...this.#limits, onDisk });
    } catch (error) {
      if (error instanceof StateUnavailableError) return unavailable(error);
      throw error;
    }
    if (!reserved.ok) {
      if (reserved.bound !== 'owner') return this.#full(res, refuse, reserved.bound, reserved.count, reserved.bytes, bytes);
      res.set('Retry-After', '60');
      return refuse(
        429,
        'too_many_uploads',
        `You have ${reserved.count} uploads not used yet or still arriving (at most ${this.#limits.perOwner}): use them, or wait for them to expire (${this.#ttlMs / 60_000} minutes).`,
        'busy',
      );
    }
    // Uploads kept for review gave their place to this one.
    for (const old of reserved.evicted ?? []) if (UPLOAD_ID.test(old.id)) await removeQuietly(this.#fileOf(old.id));
    let stored = false;
    try {
      stored = await this.#receiveBody(req, res, id, owner, refuse, unavailable, tooLarge);
    } finally {
      if (!stored) await this.#store.release(id).catch(() => undefined);
    }
  }

  /** 503: the directory is full, by its count of files or its bytes. */
  #full(res: Response, refuse: Refuse, bound: 'files' | 'bytes', count: number, bytes: number, wanted: number): void {
    const why =
      bound === 'files'
        ? `This server holds ${count} uploads not used yet or arriving, its limit of ${this.#limits.files} files`
        : `The uploads not used yet or arriving hold ${formatBytes(bytes)}, and this one could take ${formatBytes(wanted)} more of the upload directory's ${formatBytes(this.#limits.bytes)} (MINDEE_MCP_UPLOAD_DIR_MB)`;
    res.set('Retry-After', '60');
    refuse(503, 'temporarily_unavailable', `${why}: try again in a minute, or send the document by url.`, 'busy');
  }

  /** Reads the body to the upload's file and records it; whether it was recorded (else its place is given back). */
  async #receiveBody(
    req: Request,
    res: Response,
    id: string,
    owner: string,
    refuse: Refuse,
    unavailable: (error: StateUnavailableError) => void,
    tooLarge: () => void,
  ): Promise<boolean> {
    const path = this.#fileOf(id);
    let filename: string | undefined;
    try {
      if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
        const part = await this.#multipart(req, path);
        filename = part ?? undefined;
        if (part === null) {
          refuse(400, 'no_file', 'The multipart body has no file part: send the document as a file field (curl -F file=@scan.pdf).');
          return false;
        }
      } else {
        await this.#save(req, path);
        filename = filenameOf(req);
      }
    } catch (error) {
      await removeQuietly(path);
      if (error instanceof TooLarge) {
        tooLarge();
        return false;
      }
      if (error instanceof BadMultipart) {
        refuse(400, 'bad_multipart', error.message);
        return false;
      }
      const disk = DISK_ERRORS[(error as NodeJS.ErrnoException | null)?.code ?? ''];
      if (disk) {
        this.options.log.error(`upload not stored: ${disk} (${(error as NodeJS.ErrnoException).code} writing to ${this.dir})`);
        res.set('Retry-After', '60');
        refuse(507, 'insufficient_storage', `The server could not store the upload: ${disk}. Nothing was kept; try again later, or send the document by url. The operator has it in the server's log.`, 'busy');
        return false;
      }
      if (req.destroyed || !req.complete) {
        refuse(400, 'incomplete', 'The upload was interrupted before the whole document arrived: send it again.');
        return false;
      }
      throw error;
    }

    let document;
    try {
      document = await prepareDocument({ path, filename: filename ?? undefined }, { maxFileBytes: this.#maxBytes });
    } catch (error) {
      await removeQuietly(path);
      if (error instanceof MindeeInputError) {
        refuse(422, 'document_refused', describeError(error));
        return false;
      }
      throw error;
    }
    await document.close();
    if (document.kind !== 'file') throw new Error('internal: an upload prepared as a URL');
    const name = filename ? document.filename : `document.${document.mimeType.split('/')[1] ?? 'bin'}`;
    const expiresAt = this.#clock.now() + this.#ttlMs;
    try {
      await this.#store.put({ id, owner, path, filename: name, size: document.size, expiresAt });
    } catch (error) {
      await removeQuietly(path);
      if (error instanceof StateUnavailableError) {
        unavailable(error);
        return false;
      }
      throw error;
    }
    this.options.metrics?.upload('accepted');
    res.status(201).json({ upload_id: id, expires_at: new Date(expiresAt).toISOString(), filename: name, bytes: document.size });
    return true;
  }

  /** Streams `source` to a new file, cut off past the limit. */
  async #save(source: Readable, path: string): Promise<void> {
    let total = 0;
    const max = this.#maxBytes;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        total += chunk.length;
        callback(total > max ? new TooLarge() : null, chunk);
      },
    });
    const file = this.options.createFile ? this.options.createFile(path) : createWriteStream(path, { flags: 'wx', mode: 0o600 });
    await pipeline(source, limit, file);
  }

  /** The first file of a multipart form, saved to `path`; its file name, or null when it has none. */
  #multipart(req: Request, path: string): Promise<string | null | undefined> {
    return new Promise((resolve, reject) => {
      let parser: BusboyInstance;
      try {
        parser = new Busboy({ headers: req.headers as BusboyHeaders, limits: { files: 1, fields: 20, fieldSize: 4096, parts: 30, headerPairs: 50 } });
      } catch (error) {
        reject(new BadMultipart(`The multipart body cannot be read (${clip((error as Error).message, 100)}): send Content-Type "multipart/form-data; boundary=…" with a body in that form (curl -F file=@scan.pdf does), or the document's bytes alone with its own Content-Type.`));
        return;
      }
      let saving: Promise<string | undefined> | null = null;
      parser.on('file', (_field, stream, name) => {
        if (saving) {
          stream.resume();
          return;
        }
        saving = this.#save(stream, path).then(() => name || undefined);
        saving.catch((error: unknown) => {
          req.unpipe(parser);
          reject(error);
        });
      });
      parser.on('error', (error: unknown) => reject(new BadMultipart(`The multipart body is malformed (${clip(error instanceof Error ? error.message : String(error), 100)}): send it again as multipart/form-data with one file field (curl -F file=@scan.pdf).`)));
      parser.on('finish', () => {
        if (!saving) resolve(null);
        else saving.then(resolve, reject);
      });
      req.on('aborted', () => reject(new Error('aborted')));
      req.pipe(parser);
    });
  }

  /** Claims an upload of `owner` for one enqueue. */
  async claim(uploadId: string, owner: string): Promise<ClaimedUpload> {
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
    return { path, filename: record.filename, release: () => removeQuietly(path), keep: () => this.#keep(record) };
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

/** The name a raw upload gives: `?filename=` or Content-Disposition. */
function filenameOf(req: Request): string | undefined {
  const query = req.query.filename;
  if (typeof query === 'string' && query.trim()) return query;
  const disposition = req.headers['content-disposition'];
  const m = disposition ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition) : null;
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return m[1];
  }
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

export type { UploadRecord };
