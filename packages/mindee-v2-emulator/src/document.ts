/**
 * Turns an upload into the few facts the simulation needs (hash, type, pages, page text), so a
 * job never keeps the file itself: memory stays flat however many documents go through.
 */
import { analysePdf } from './pdf-text.js';
import { invalidFile } from './problems.js';
import { Rng, sha256Hex } from './rng.js';
import { ACCEPTED_TYPES_TEXT, MIME_TYPES, sniffDocument } from './sniff.js';
import type { DocumentKind } from './sniff.js';
import type { Problem } from './types.js';

export interface DocumentDigest {
  sha256: string;
  byteLength: number;
  kind: DocumentKind;
  mimeType: string;
  pageCount: number;
  /** Literal text of each page when the document has some, else null. */
  pageTexts: string[] | null;
}

export type DigestOutcome = { ok: true; digest: DocumentDigest } | { ok: false; problem: Problem };

export function digestUpload(bytes: Buffer, pointer: string): DigestOutcome {
  if (bytes.length === 0) return { ok: false, problem: invalidFile(pointer, 'The document is empty (0 bytes).') };
  const sniffed = sniffDocument(bytes);
  if (!sniffed.accepted) {
    return {
      ok: false,
      problem: invalidFile(pointer, `Unsupported file type: the content looks like ${sniffed.looksLike}; send a ${ACCEPTED_TYPES_TEXT} document.`),
    };
  }
  let pageCount = 1;
  let pageTexts: string[] | null = null;
  if (sniffed.kind === 'pdf') {
    const pdf = analysePdf(bytes);
    if (pdf.encrypted) {
      return {
        ok: false,
        problem: invalidFile(pointer, 'The document is a password-protected PDF; remove the password and send it again.'),
      };
    }
    pageCount = pdf.pageCount;
    if (pdf.pageTexts.some((t) => t.trim().length > 0)) pageTexts = pdf.pageTexts;
  }
  return {
    ok: true,
    digest: {
      sha256: sha256Hex(bytes),
      byteLength: bytes.length,
      kind: sniffed.kind,
      mimeType: sniffed.mimeType,
      pageCount,
      pageTexts,
    },
  };
}

/** A Map, so that a URL ending in ".constructor" finds nothing on Object.prototype. */
const EXTENSION_KINDS: ReadonlyMap<string, DocumentKind> = new Map([
  ['pdf', 'pdf'],
  ['jpg', 'jpeg'],
  ['jpeg', 'jpeg'],
  ['png', 'png'],
  ['webp', 'webp'],
  ['tif', 'tiff'],
  ['tiff', 'tiff'],
  ['heic', 'heic'],
  ['heif', 'heic'],
]);

/**
 * The emulator never fetches URLs: it simulates the document the URL names, from the URL
 * string itself (type from the extension, PDF by default).
 */
export function digestUrl(url: URL): DocumentDigest {
  const ext = /\.([A-Za-z0-9]+)$/.exec(url.pathname)?.[1]?.toLowerCase() ?? '';
  const kind = EXTENSION_KINDS.get(ext) ?? 'pdf';
  const sha256 = sha256Hex(url.href);
  return {
    sha256,
    byteLength: 0,
    kind,
    mimeType: MIME_TYPES[kind],
    pageCount: kind === 'pdf' ? new Rng(sha256).int(1, 3) : 1,
    pageTexts: null,
  };
}

/** The filename a URL document gets when the form names none. */
export function filenameFromUrl(url: URL): string | null {
  const last = url.pathname.split('/').filter(Boolean).pop();
  if (!last) return null;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
