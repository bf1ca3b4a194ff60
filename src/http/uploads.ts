/**
 * POST /uploads: how a caller gets a document to a remote server without pushing base64 through
 * the model. The body (raw, or the first file of a multipart form) streams to a private
 * directory (0700), cut off at the size limit; the file then passes every ingress check of a
 * local file (prepareDocument: sniffed type, encrypted PDFs, empty files). The answer is an
 * upload id that the enqueue tools take once, for the principal that made it, within 15 minutes.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import type { Request, RequestHandler, Response } from 'express';
import { describeError, MindeeInputError } from '../client/errors.js';
import { DEFAULT_INPUT_LIMITS, prepareDocument } from '../client/inputs.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../state/clock.js';
import type { ClaimResult, UploadRecord, UploadStore } from '../state/uploads.js';
import { clip, formatBytes } from '../text.js';
import type { ClaimedUpload } from '../tools/define.js';
import { principalOf } from './auth.js';
import type { Metrics } from './metrics.js';

export const UPLOAD_TTL_MS = 15 * 60 * 1000;
/** Uploads one principal may have waiting at once. */
export const MAX_PENDING_UPLOADS = 20;
const SWEEP_EVERY_MS = 60_000;
const UPLOAD_ID = /^up_[A-Za-z0-9_-]{16,64}$/;

export interface UploadsOptions {
  store: UploadStore;
  maxFileBytes?: number;
  ttlMs?: number;
  clock?: Clock;
  metrics?: Metrics;
  log: Logger;
}

class TooLarge extends Error {}

export class Uploads {
  readonly #store: UploadStore;
  readonly #maxBytes: number;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #sweeper: NodeJS.Timeout;

  private constructor(
    readonly dir: string,
    private readonly options: UploadsOptions,
  ) {
    this.#store = options.store;
    this.#maxBytes = options.maxFileBytes ?? DEFAULT_INPUT_LIMITS.maxFileBytes;
    this.#ttlMs = options.ttlMs ?? UPLOAD_TTL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#sweeper = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.#sweeper.unref();
  }

  /** Makes the private directory (mkdtemp creates it 0700). */
  static async create(options: UploadsOptions): Promise<Uploads> {
    return new Uploads(await mkdtemp(join(tmpdir(), 'mindee-mcp-uploads-')), options);
  }

  readonly route: RequestHandler = (req, res, next) => {
    this.#receive(req, res).catch(next);
  };

  async #receive(req: Request, res: Response): Promise<void> {
    const owner = principalOf(res).id;
    const refuse = (status: number, error: string, description: string, outcome: 'refused' | 'too_large' | 'busy' = 'refused') => {
      this.options.metrics?.upload(outcome);
      // The rest of a body not read is not waited for.
      if (!req.complete) res.set('Connection', 'close');
      res.status(status).json({ error, error_description: description });
    };
    const pending = await this.#store.pending(owner);
    if (pending.count >= MAX_PENDING_UPLOADS) {
      res.set('Retry-After', '60');
      return refuse(429, 'too_many_uploads', `You have ${pending.count} uploads not used yet (at most ${MAX_PENDING_UPLOADS}): use them, or wait for them to expire (${this.#ttlMs / 60_000} minutes).`, 'busy');
    }
    const tooLarge = () =>
      refuse(413, 'too_large', `The document is over the ${formatBytes(this.#maxBytes)} limit for one document. Split the PDF, or compress the images, and upload each part.`, 'too_large');
    const declared = Number(req.headers['content-length']);
    // A multipart body carries a little more than its file.
    if (Number.isFinite(declared) && declared > this.#maxBytes + 64 * 1024) return tooLarge();

    const id = `up_${randomBytes(18).toString('base64url')}`;
    const path = join(this.dir, id);
    let filename: string | undefined;
    try {
      if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
        const part = await this.#multipart(req, path);
        filename = part ?? undefined;
        if (part === null) return refuse(400, 'no_file', 'The multipart body has no file part: send the document as a file field (curl -F file=@scan.pdf).');
      } else {
        await this.#save(req, path);
        filename = filenameOf(req);
      }
    } catch (error) {
      await removeQuietly(path);
      if (error instanceof TooLarge) return tooLarge();
      if (req.destroyed || !req.complete) return refuse(400, 'incomplete', 'The upload was interrupted before the whole document arrived: send it again.');
      throw error;
    }

    let document;
    try {
      document = await prepareDocument({ path, filename: filename ?? undefined }, { maxFileBytes: this.#maxBytes });
    } catch (error) {
      await removeQuietly(path);
      if (error instanceof MindeeInputError) return refuse(422, 'document_refused', describeError(error));
      throw error;
    }
    await document.close();
    if (document.kind !== 'file') throw new Error('internal: an upload prepared as a URL');
    const name = filename ? document.filename : `document.${document.mimeType.split('/')[1] ?? 'bin'}`;
    const expiresAt = this.#clock.now() + this.#ttlMs;
    await this.#store.put({ id, owner, path, filename: name, size: document.size, expiresAt });
    this.options.metrics?.upload('accepted');
    res.status(201).json({ upload_id: id, expires_at: new Date(expiresAt).toISOString(), filename: name, bytes: document.size });
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
    await pipeline(source, limit, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  }

  /** The first file of a multipart form, saved to `path`; its file name, or null when it has none. */
  #multipart(req: Request, path: string): Promise<string | null | undefined> {
    return new Promise((resolve, reject) => {
      let parser: BusboyInstance;
      try {
        parser = new Busboy({ headers: req.headers as BusboyHeaders, limits: { files: 1, fields: 20, fieldSize: 4096, parts: 30, headerPairs: 50 } });
      } catch (error) {
        reject(new MindeeInputError(`The multipart body cannot be read: ${(error as Error).message}.`));
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
      parser.on('error', reject);
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
    const result: ClaimResult = UPLOAD_ID.test(uploadId) ? await this.#store.claim(uploadId, owner) : { ok: false, reason: 'unknown' };
    const shown = clip(uploadId, 80);
    if (!result.ok) {
      if (result.record) await removeQuietly(result.record.path);
      const again = 'Upload the document again (POST /uploads) and pass the new upload_id.';
      if (result.reason === 'expired') throw new MindeeInputError(`Upload ${shown} has expired (uploads last ${this.#ttlMs / 60_000} minutes).`, { hint: again });
      if (result.reason === 'used') throw new MindeeInputError(`Upload ${shown} was already used: an upload is sent once.`, { hint: again });
      throw new MindeeInputError(`Upload ${shown} was not found: it does not exist, or was made with other credentials.`, { hint: again });
    }
    const { path, filename } = result.record;
    return { path, filename, release: () => removeQuietly(path) };
  }

  /** Deletes the files of expired uploads. */
  async sweep(): Promise<void> {
    for (const record of await this.#store.sweep()) await removeQuietly(record.path);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#store.drain();
    await rm(this.dir, { recursive: true, force: true });
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
