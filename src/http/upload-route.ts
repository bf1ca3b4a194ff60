/**
 * POST /uploads: a place is reserved against every bound (per caller, files and bytes of the
 * directory) before a byte is read; the body goes to its file (`upload-intake.ts`); the file then
 * passes every ingress check of a local file (prepareDocument) and is recorded. The answer is the
 * upload id, or a refusal that says which bound was hit and what to do.
 */
import { readdir } from 'node:fs/promises';
import type { Request, RequestHandler, Response } from 'express';
import { describeError, MindeeInputError } from '../client/errors.js';
import { prepareDocument } from '../client/inputs.js';
import type { Clock } from '../lib/clock.js';
import { formatBytes, clip } from '../lib/text.js';
import type { Logger } from '../log.js';
import { StateUnavailableError } from '../state/errors.js';
import type { UploadLimits, UploadStore } from '../state/uploads.js';
import { principalOf } from './auth.js';
import type { Metrics } from './metrics.js';
import { BadMultipart, DISK_ERRORS, MULTIPART_OVERHEAD, newUploadId, receiveFile, removeQuietly, TooLarge, UPLOAD_ID, type IntakeOptions } from './upload-intake.js';

/** What the route reads of the uploads it serves (`Uploads` hands it in). */
interface UploadDesk extends IntakeOptions {
  store: UploadStore;
  dir: string;
  /** The directory is the operator's: it may hold files no record names, which count too. */
  configured: boolean;
  ttlMs: number;
  /** How long a body may take to arrive: an upload's place is kept at least this long. */
  arrivalMs: number;
  limits: UploadLimits;
  clock: Clock;
  metrics?: Metrics;
  log: Logger;
  fileOf(id: string): string;
}

type Refuse = (status: number, error: string, description: string, outcome?: 'refused' | 'too_large' | 'busy') => void;

export function uploadRoute(desk: UploadDesk): RequestHandler {
  return (req, res, next) => {
    receive(desk, req, res).catch(next);
  };
}

async function receive(desk: UploadDesk, req: Request, res: Response): Promise<void> {
  const owner = principalOf(res).caller.id;
  const refuse: Refuse = (status, error, description, outcome = 'refused') => {
    desk.metrics?.upload(outcome);
    // The rest of a body not read is not waited for.
    if (!req.complete) res.set('Connection', 'close');
    res.status(status).json({ error, error_description: description });
  };
  const unavailable = (error: StateUnavailableError) => {
    res.set('Retry-After', '5');
    refuse(503, 'temporarily_unavailable', `Uploads cannot be taken now: ${error.message}`);
  };
  const tooLarge = () =>
    refuse(413, 'too_large', `The document is over the ${formatBytes(desk.maxBytes)} limit for one document. Split the PDF, or compress the images, and upload each part.`, 'too_large');
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') {
    return refuse(415, 'unsupported_encoding', `Content-Encoding ${clip(encoding, 40)} is not taken for uploads: send the document's own bytes, without Content-Encoding (PDF and images are compressed already).`);
  }
  const declared = Number(req.headers['content-length']);
  // A multipart body carries a little more than its file.
  if (Number.isFinite(declared) && declared > desk.maxBytes + MULTIPART_OVERHEAD) return tooLarge();
  // A configured directory may hold files no record names (another deployment, a replica that died): the store counts them too.
  const onDisk = desk.configured ? (await readdir(desk.dir)).length : undefined;

  const id = newUploadId();
  // The most this body can put on the disk: its declared length, or the limit for one document.
  const bytes = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, desk.maxBytes) : desk.maxBytes;
  // Arriving uploads count against every bound: the check and the taking of a place are one step of the store.
  let reserved;
  try {
    reserved = await desk.store.reserve({ id, owner, bytes, expiresAt: desk.clock.now() + Math.max(desk.ttlMs, desk.arrivalMs) }, { ...desk.limits, onDisk });
  } catch (error) {
    if (error instanceof StateUnavailableError) return unavailable(error);
    throw error;
  }
  if (!reserved.ok) {
    if (reserved.bound !== 'owner') return full(desk, res, refuse, reserved.bound, reserved.count, reserved.bytes, bytes);
    res.set('Retry-After', '60');
    return refuse(
      429,
      'too_many_uploads',
      `You have ${reserved.count} uploads not used yet or still arriving (at most ${desk.limits.perOwner}): use them, or wait for them to expire (${desk.ttlMs / 60_000} minutes).`,
      'busy',
    );
  }
  // Uploads kept for review gave their place to this one.
  for (const old of reserved.evicted ?? []) if (UPLOAD_ID.test(old.id)) await removeQuietly(desk.fileOf(old.id));
  let stored = false;
  try {
    stored = await receiveBody(desk, req, res, id, owner, refuse, unavailable, tooLarge);
  } finally {
    if (!stored) await desk.store.release(id).catch(() => undefined);
  }
}

/** 503: the directory is full, by its count of files or its bytes. */
function full(desk: UploadDesk, res: Response, refuse: Refuse, bound: 'files' | 'bytes', count: number, bytes: number, wanted: number): void {
  const why =
    bound === 'files'
      ? `This server holds ${count} uploads not used yet or arriving, its limit of ${desk.limits.files} files`
      : `The uploads not used yet or arriving hold ${formatBytes(bytes)}, and this one could take ${formatBytes(wanted)} more of the upload directory's ${formatBytes(desk.limits.bytes)} (MINDEE_MCP_UPLOAD_DIR_MB)`;
  res.set('Retry-After', '60');
  refuse(503, 'temporarily_unavailable', `${why}: try again in a minute, or send the document by url.`, 'busy');
}

/** Reads the body to the upload's file and records it; whether it was recorded (else its place is given back). */
async function receiveBody(
  desk: UploadDesk,
  req: Request,
  res: Response,
  id: string,
  owner: string,
  refuse: Refuse,
  unavailable: (error: StateUnavailableError) => void,
  tooLarge: () => void,
): Promise<boolean> {
  const path = desk.fileOf(id);
  let filename: string | undefined;
  try {
    const received = await receiveFile(req, path, desk);
    if (received === null) {
      refuse(400, 'no_file', 'The multipart body has no file part: send the document as a file field (curl -F file=@scan.pdf).');
      return false;
    }
    filename = received;
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
      desk.log.error(`upload not stored: ${disk} (${(error as NodeJS.ErrnoException).code} writing to ${desk.dir})`);
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
    document = await prepareDocument({ path, filename }, { maxFileBytes: desk.maxBytes });
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
  const expiresAt = desk.clock.now() + desk.ttlMs;
  try {
    await desk.store.put({ id, owner, path, filename: name, size: document.size, expiresAt });
  } catch (error) {
    await removeQuietly(path);
    if (error instanceof StateUnavailableError) {
      unavailable(error);
      return false;
    }
    throw error;
  }
  desk.metrics?.upload('accepted');
  res.status(201).json({ upload_id: id, expires_at: new Date(expiresAt).toISOString(), filename: name, bytes: document.size });
  return true;
}
