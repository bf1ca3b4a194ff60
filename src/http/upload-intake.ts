/**
 * An upload's body to its file: raw, or the first file of a multipart form (@fastify/busboy),
 * streamed to a new file (created exclusively, 0600) and cut off past the size limit. What went
 * wrong is told apart: too large, a malformed form, the disk's own failure.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import type { Request } from 'express';
import { clip } from '../lib/text.js';

/** The form of an upload id: its file's name in the upload directory. */
export const UPLOAD_ID = /^up_[A-Za-z0-9_-]{16,64}$/;

export function newUploadId(): string {
  return `up_${randomBytes(18).toString('base64url')}`;
}

/** The body is over the limit for one document. */
export class TooLarge extends Error {}
/** A multipart body that cannot be parsed: the client's mistake, said as such. */
export class BadMultipart extends Error {}

/** Errors of the disk itself: the server's side, said and logged. */
export const DISK_ERRORS: Record<string, string> = {
  ENOSPC: 'its disk is full',
  EDQUOT: 'its disk quota is used up',
  EIO: 'its disk failed to write',
  EROFS: 'its upload directory is read-only',
  EMFILE: 'it has too many files open',
  ENFILE: 'it has too many files open',
};

/** What a multipart body carries besides its file, at most, for the check of its declared length. */
export const MULTIPART_OVERHEAD = 64 * 1024;

export interface IntakeOptions {
  maxBytes: number;
  /** Opens the new file of an upload for writing (tests inject a disk that fills up). */
  createFile?: (path: string) => Writable;
}

/**
 * Saves the request's document to `path`: its file name (undefined when it gives none), or null
 * for a multipart form without a file. Throws TooLarge, BadMultipart, or the stream's error.
 */
export async function receiveFile(req: Request, path: string, options: IntakeOptions): Promise<string | null | undefined> {
  if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) return multipart(req, path, options);
  await save(req, path, options);
  return filenameOf(req);
}

/** Streams `source` to a new file, cut off past the limit. */
async function save(source: Readable, path: string, options: IntakeOptions): Promise<void> {
  let total = 0;
  const max = options.maxBytes;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      callback(total > max ? new TooLarge() : null, chunk);
    },
  });
  const file = options.createFile ? options.createFile(path) : createWriteStream(path, { flags: 'wx', mode: 0o600 });
  await pipeline(source, limit, file);
}

/** The first file of a multipart form, saved to `path`; its file name, or null when it has none. */
function multipart(req: Request, path: string, options: IntakeOptions): Promise<string | null | undefined> {
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
      saving = save(stream, path, options).then(() => name || undefined);
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

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
