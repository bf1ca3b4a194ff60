/**
 * Turns an upload into the few facts the simulation needs (hash, type, pages, page text), so a
 * job never keeps the file itself: memory stays flat however many documents go through.
 */
import { SNIFF_HEAD_BYTES, SNIFF_TAIL_BYTES, describeUnsupported, sniffFileType, SUPPORTED_TYPES_TEXT } from '../client/file-types.js';
import type { DocumentKind } from '../client/file-types.js';
import { analysePdf } from './pdf-text.js';
import { invalidFile } from './problems.js';
import { Rng, sha256Hex } from './rng.js';
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
  const head = bytes.subarray(0, SNIFF_HEAD_BYTES);
  const sniffed = sniffFileType(head, bytes.subarray(Math.max(0, bytes.length - SNIFF_TAIL_BYTES)));
  if (!sniffed) {
    return {
      ok: false,
      problem: invalidFile(
        pointer,
        `Unsupported file type: the content looks like ${describeUnsupported(head)}; send a ${SUPPORTED_TYPES_TEXT} document.`,
      ),
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

const EXTENSION_KINDS: Record<string, [DocumentKind, string]> = {
  pdf: ['pdf', 'application/pdf'],
  jpg: ['jpeg', 'image/jpeg'],
  jpeg: ['jpeg', 'image/jpeg'],
  png: ['png', 'image/png'],
  webp: ['webp', 'image/webp'],
  tif: ['tiff', 'image/tiff'],
  tiff: ['tiff', 'image/tiff'],
  heic: ['heic', 'image/heic'],
  heif: ['heic', 'image/heic'],
};

/**
 * The emulator never fetches URLs: it simulates the document the URL names, from the URL
 * string itself (type from the extension, PDF by default).
 */
export function digestUrl(url: URL): DocumentDigest {
  const ext = /\.([A-Za-z0-9]+)$/.exec(url.pathname)?.[1]?.toLowerCase() ?? '';
  const [kind, mimeType] = EXTENSION_KINDS[ext] ?? (['pdf', 'application/pdf'] as [DocumentKind, string]);
  const sha256 = sha256Hex(url.href);
  return {
    sha256,
    byteLength: 0,
    kind,
    mimeType,
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
