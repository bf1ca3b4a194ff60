/**
 * A document made ready for upload: a local file (streamed from disk, never read whole), base64
 * content, or a https URL that Mindee fetches itself. Everything Mindee would refuse — an
 * unsupported or empty file, one over the size limit, a password-protected PDF, a URL it cannot
 * fetch — is refused here first, with a message that says what to do. Knows nothing of MCP; a
 * path must already have been checked by FileAccess.
 *
 * A local file is opened once, checked through that handle, and uploaded — every attempt of it —
 * from the same handle: what a path names after the check never reaches the API.
 */
import { constants, type Stats } from 'node:fs';
import { open, readlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MindeeInputError } from './errors.js';
import { SNIFF_HEAD_BYTES, SNIFF_TAIL_BYTES, type DocumentKind } from './file-types.js';
import { checkType, cleanFilename, emptyError, refuseEncrypted, sizeAgainstLimit, subjectOf, tooLargeError } from './input-checks.js';
import { bufferSource, fileHandleSource, type ByteSource } from './pdf-encryption.js';

/** Which file a checked path named when it was checked: the file opened must be that one. */
export interface FileIdentity {
  dev: number;
  ino: number;
  /** Its link count then: a link made or removed since is a change. */
  links: number;
}

export type DocumentSource =
  | {
      /** The real path (no symbolic links in it) that was checked. */
      path: string;
      filename?: string;
      /** From the check; without it, any regular file at the path is taken. */
      identity?: FileIdentity;
    }
  | { base64: string; filename?: string }
  | { url: string };

export type PreparedDocument = (
  | {
      kind: 'file';
      /** The checked bytes: an opened file handle or memory, read anew for each attempt. */
      source: ByteSource;
      filename: string;
      mimeType: string;
      size: number;
      /** Pages, when the bytes tell (images: 1); Mindee's processing time grows with it. */
      pageCount: number | null;
    }
  | { kind: 'url'; url: string }
) & {
  /** Releases the file handle once the upload is over (retries included); safe to call twice. */
  close(): Promise<void>;
};

export interface InputLimits {
  /** Largest file Mindee accepts. */
  maxFileBytes: number;
  /** Largest decoded base64 document: base64 is written by a model token by token. */
  maxBase64Bytes: number;
}

export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxFileBytes: 100 * 1024 * 1024,
  maxBase64Bytes: 5 * 1024 * 1024,
});

/** Mindee's own limit on document URLs. */
const MAX_URL_LENGTH = 2048;

/** What a caller needs to know about document URLs (for descriptions and messages). */
const URL_FETCH_NOTE =
  'Mindee fetches the URL itself, from its own servers, and does not follow redirects: give the final, publicly reachable https address of the document (a pre-signed link works).';

const DEFAULT_EXTENSION: Record<DocumentKind, string> = {
  pdf: 'pdf',
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  tiff: 'tif',
  heic: 'heic',
};


/**
 * Checks a document and makes it ready to upload. Throws MindeeInputError for anything Mindee
 * would refuse, saying why and what to do instead.
 */
export async function prepareDocument(source: DocumentSource, limits: Partial<InputLimits> = {}): Promise<PreparedDocument> {
  const lim: InputLimits = { ...DEFAULT_INPUT_LIMITS, ...definedOnly(limits) };
  // The type names exactly one source; the tools check what callers gave.
  if ('path' in source) return prepareFile(source.path, source.filename, source.identity, lim);
  if ('base64' in source) return prepareBase64(source.base64, source.filename, lim);
  return prepareUrl(source.url);
}

function definedOnly(limits: Partial<InputLimits>): Partial<InputLimits> {
  const out: Partial<InputLimits> = {};
  if (limits.maxFileBytes !== undefined) out.maxFileBytes = limits.maxFileBytes;
  if (limits.maxBase64Bytes !== undefined) out.maxBase64Bytes = limits.maxBase64Bytes;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Local files

async function prepareFile(filePath: string, filenameOverride: string | undefined, identity: FileIdentity | undefined, lim: InputLimits): Promise<PreparedDocument> {
  const filename = cleanFilename(filenameOverride) ?? path.basename(filePath);
  let handle: FileHandle;
  try {
    // Non-blocking, so that a FIFO or device swapped in for the file cannot hold a thread on
    // open; not following a link, as the checked path had none. Every check below is made on
    // what was opened, and the upload reads from it too.
    handle = await open(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (identity && (code === 'ELOOP' || code === 'EMLINK')) throw changedError(filePath);
    throw openError(filePath, err);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) {
      throw new MindeeInputError(`${filePath} is ${describeSpecialFile(opened)}, not a regular file: only regular files are uploaded.`, {
        hint: 'Pass the path of a document file (a PDF or an image).',
      });
    }
    if (identity && (opened.dev !== identity.dev || opened.ino !== identity.ino || opened.nlink !== identity.links || !(await opensAt(handle, filePath)))) {
      throw changedError(filePath);
    }
    const size = opened.size;
    if (size === 0) throw emptyError(subjectOf(filename));
    if (size > lim.maxFileBytes) throw tooLargeError(filename, size, lim.maxFileBytes);
    const source = fileHandleSource(handle, size);
    const head = await readAt(handle, 0, Math.min(SNIFF_HEAD_BYTES, size));
    const tailLength = Math.min(SNIFF_TAIL_BYTES, size);
    const tail = await readAt(handle, size - tailLength, tailLength);
    const sniffed = checkType(head, tail, filename);
    const pageCount = sniffed.kind === 'pdf' ? await refuseEncrypted(source, subjectOf(filename)) : 1;
    let closed: Promise<void> | undefined;
    return { kind: 'file', source, filename, mimeType: sniffed.mimeType, size, pageCount, close: () => (closed ??= handle.close()) };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Whether the opened file is still reached by the checked path, as the kernel sees it (Linux's
 * /proc/self/fd): a directory swapped for a link between the check and the open shows here. Where
 * there is no /proc, the device and inode comparison stands alone.
 */
async function opensAt(handle: FileHandle, filePath: string): Promise<boolean> {
  let where: string;
  try {
    where = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return true;
  }
  return where === filePath;
}

function changedError(filePath: string): MindeeInputError {
  return new MindeeInputError(`${filePath} changed between its check and its upload (it was replaced, moved or linked meanwhile): refused.`, {
    hint: 'Send it again once nothing else is writing, moving or linking it.',
  });
}

/** What a file that is not a regular one is, in words ("a named pipe (FIFO)"). */
export function describeSpecialFile(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a special file';
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buf.subarray(0, filled);
}

function openError(filePath: string, err: unknown): MindeeInputError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new MindeeInputError(`File not found: ${filePath}.`, { hint: 'Check the path and that the file still exists.', cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new MindeeInputError(`${filePath} is not readable by the user running the MCP server (permission denied).`, {
      hint: 'Change the file permissions, or copy it somewhere that user can read.',
      cause: err,
    });
  }
  if (code === 'EISDIR') {
    return new MindeeInputError(`${filePath} is a directory, not a file.`, { hint: 'Pass the path of one document inside it.', cause: err });
  }
  return new MindeeInputError(`${filePath} cannot be read (${code ?? (err as Error).message}).`, {
    hint: 'Check the file exists and can be read, then try again.',
    cause: err,
  });
}

async function nothingToClose(): Promise<void> {}

// ---------------------------------------------------------------------------------------------
// base64

const DATA_URL = /^data:([^,]*?),/i;

async function prepareBase64(input: string, filenameOverride: string | undefined, lim: InputLimits): Promise<PreparedDocument> {
  if (typeof input !== 'string') throw notBase64('it is not a string');
  let text = input;
  const dataUrl = DATA_URL.exec(text.slice(0, 512).trimStart());
  if (dataUrl) {
    if (!/;base64$/i.test(dataUrl[1]!)) {
      throw new MindeeInputError('The data: URL is not base64-encoded (it has no ";base64" before the comma).', {
        code: 'base64_refused',
        hint: 'Send the document as `data:<type>;base64,<content>` or as plain base64 — or better, the path of a local file or a public https URL.',
      });
    }
    text = text.trimStart().slice(dataUrl[0].length);
  }
  text = text.replace(/\s+/g, '');
  if (text === '') throw emptyError(subjectOf(cleanFilename(filenameOverride)));

  // Size first, from the length alone: never decode what would be refused anyway.
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const estimated = Math.floor((text.length * 3) / 4) - padding;
  const max = Math.min(lim.maxBase64Bytes, lim.maxFileBytes);
  if (estimated > max) {
    const [sizeText, maxText] = sizeAgainstLimit(estimated, max);
    throw new MindeeInputError(`The base64 document decodes to about ${sizeText}, over the ${maxText} limit for base64 content.`, {
      code: 'base64_refused',
      hint: 'Base64 has to be written out by the model token by token: give the path of a file in an allowed directory or a public https URL instead.',
    });
  }

  const bytes = decodeBase64Strict(text);
  const filenameGiven = cleanFilename(filenameOverride);
  if (bytes.length === 0) throw emptyError(subjectOf(filenameGiven));
  const head = bytes.subarray(0, SNIFF_HEAD_BYTES);
  const tail = bytes.subarray(Math.max(0, bytes.length - SNIFF_TAIL_BYTES));
  const sniffed = checkType(head, tail, filenameGiven);
  const filename = filenameGiven ?? `document.${DEFAULT_EXTENSION[sniffed.kind]}`;
  const source = bufferSource(bytes);
  const pageCount = sniffed.kind === 'pdf' ? await refuseEncrypted(source, subjectOf(filenameGiven)) : 1;
  return { kind: 'file', source, filename, mimeType: sniffed.mimeType, size: bytes.length, pageCount, close: nothingToClose };
}

function notBase64(why: string): MindeeInputError {
  return new MindeeInputError(`The document content is not valid base64: ${why}.`, {
    code: 'base64_refused',
    hint: 'Send standard base64 (A–Z, a–z, 0–9, +, /, with = padding only at the end) or a `data:<type>;base64,` URL — or better, the path of a local file or a public https URL.',
  });
}

/** Decodes standard or URL-safe base64 (not a mix), refusing what Buffer.from would silently skip. */
function decodeBase64Strict(text: string): Buffer {
  const bad = /[^A-Za-z0-9+/=\-_]/.exec(text);
  if (bad) {
    const ch = bad[0];
    const shown = /[\x21-\x7e]/.test(ch) ? `"${ch}"` : `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw notBase64(`it contains ${shown} at position ${bad.index + 1}, which is not a base64 character`);
  }
  if (/[+/]/.test(text) && /[-_]/.test(text)) throw notBase64('it mixes the standard (+ /) and URL-safe (- _) alphabets');
  const firstPad = text.indexOf('=');
  if (firstPad !== -1) {
    const pad = text.slice(firstPad);
    if (!/^={1,2}$/.test(pad)) throw notBase64('"=" padding may only appear once or twice, at the very end');
    if (text.length % 4 !== 0) throw notBase64(`its padded length (${text.length} characters) is not a multiple of 4`);
  } else if (text.length % 4 === 1) {
    throw notBase64(`its length (${text.length} characters) leaves one character over, so it is cut short or has an extra character`);
  }
  const bytes = Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64');
  const expected = Math.floor((text.replace(/=+$/, '').length * 3) / 4);
  if (bytes.length !== expected) throw notBase64('it does not decode cleanly');
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// URLs

/** A document URL Mindee would not fetch. */
class UrlRefused extends MindeeInputError {
  static override defaultCode = 'url_refused' as const;
}

function prepareUrl(input: string): PreparedDocument {
  const text = typeof input === 'string' ? input.trim() : '';
  if (text === '') {
    throw new UrlRefused('The document URL is empty.', { hint: `Give the https URL of the document. ${URL_FETCH_NOTE}` });
  }
  if (text.length > MAX_URL_LENGTH) {
    throw new UrlRefused(`The document URL is ${text.length} characters long; Mindee accepts URLs of at most ${MAX_URL_LENGTH}.`, {
      hint: 'Use a shorter link to the document (for example a shorter pre-signed URL), or download it into an allowed directory and send it as a local file.',
    });
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UrlRefused(`"${text.length > 200 ? `${text.slice(0, 200)}…` : text}" is not a valid URL.`, {
      hint: 'Give a complete https URL such as https://example.com/invoice.pdf; for a local file, give its path instead.',
    });
  }
  if (url.protocol !== 'https:') {
    const scheme = url.protocol.replace(/:$/, '');
    throw new UrlRefused(`The document URL uses ${scheme}:, but Mindee only fetches https URLs.`, {
      hint:
        scheme === 'file'
          ? 'This is a local file: give its path instead of a URL.'
          : scheme === 'http'
            ? `Use the https:// address of the document, or download it into an allowed directory and send it as a local file. ${URL_FETCH_NOTE}`
            : 'Give a public https URL of the document, or download it into an allowed directory and send it as a local file.',
    });
  }
  // The URL parser makes a host of the first path segment ("https:///invoice.pdf" → host "invoice.pdf"):
  // a URL is read only as written, "https://" then the host.
  if (!/^https:\/\/[^/\\?#@]/i.test(text)) {
    throw new UrlRefused(`The document URL "${text.length > 200 ? `${text.slice(0, 200)}…` : text}" has no host: it must be written https://<host>/<path>.`, {
      hint: 'Give the complete address of the document, such as https://example.com/invoice.pdf; for a local file, give its path instead.',
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new UrlRefused(`The document URL contains credentials (user:password@ before ${url.host}): refused, as they would be sent to Mindee and end up in its fetcher's logs.`, {
      hint: 'Use a link that needs no login (a public or pre-signed https URL), or download the file into an allowed directory and send it as a local file.',
    });
  }
  if (url.href.length > MAX_URL_LENGTH) {
    throw new UrlRefused(`The document URL is ${url.href.length} characters long once encoded; Mindee accepts URLs of at most ${MAX_URL_LENGTH}.`, {
      hint: 'Use a shorter link to the document, or download it into an allowed directory and send it as a local file.',
    });
  }
  return { kind: 'url', url: url.href, close: nothingToClose };
}
