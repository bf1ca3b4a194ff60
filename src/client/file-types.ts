/**
 * What a document is, told from its bytes: Mindee sniffs the content and ignores the declared
 * type, so the client does the same before spending an upload on a file Mindee will refuse.
 */

export type DocumentKind = 'pdf' | 'jpeg' | 'png' | 'webp' | 'tiff' | 'heic';

export interface SniffedType {
  kind: DocumentKind;
  mimeType: string;
}

const MIME: Record<DocumentKind, string> = {
  pdf: 'application/pdf',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  tiff: 'image/tiff',
  heic: 'image/heic',
};

/** How many leading bytes `sniffFileType` needs to decide. */
export const SNIFF_HEAD_BYTES = 1024;
/** How many trailing bytes it uses for PDFs that lack a header. */
export const SNIFF_TAIL_BYTES = 1024;

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'heif', 'avci']);

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.max(0, Math.min(length, bytes.length - start))).toString('latin1');
}

/**
 * Sniffs the type of a document from its first bytes (`head`, at least SNIFF_HEAD_BYTES when the
 * file is that long) and, for PDFs written without a `%PDF-` header, its last bytes (`tail`).
 * Returns null for anything Mindee does not accept.
 */
export function sniffFileType(head: Uint8Array, tail?: Uint8Array): SniffedType | null {
  const kind = sniffKind(head, tail);
  return kind ? { kind, mimeType: MIME[kind] } : null;
}

function sniffKind(head: Uint8Array, tail?: Uint8Array): DocumentKind | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && ascii(head, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WEBP') return 'webp';
  if (head.length >= 4) {
    const sig = ascii(head, 0, 4);
    if (sig === 'II*\x00' || sig === 'MM\x00*') return 'tiff';
  }
  if (head.length >= 12 && ascii(head, 4, 4) === 'ftyp' && HEIF_BRANDS.has(ascii(head, 8, 4))) return 'heic';
  // Readers accept a PDF header anywhere in the first KiB, and some exporters omit it entirely:
  // such a file still ends with a cross-reference section and %%EOF.
  if (ascii(head, 0, SNIFF_HEAD_BYTES).includes('%PDF-')) return 'pdf';
  if (tail && tail.length > 0) {
    const end = ascii(tail, 0, tail.length);
    const start = ascii(head, 0, 64);
    if (/%%EOF\s*$/.test(end) && end.includes('startxref') && /^(%[^\n]*\n)?\s*\d+ \d+ obj/.test(start)) return 'pdf';
  }
  return null;
}

/** A short name for whatever the bytes look like, for refusal messages ("a text file"). */
export function describeUnsupported(head: Uint8Array): string {
  if (head.length === 0) return 'an empty file';
  if (ascii(head, 0, 2) === 'MZ') return 'a Windows executable';
  if (ascii(head, 0, 4) === '\x7fELF') return 'an ELF executable';
  if (ascii(head, 0, 4) === 'PK\x03\x04') return 'a ZIP archive (or an Office document)';
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return 'a GIF image';
  if (ascii(head, 0, 2) === 'BM') return 'a BMP image';
  if (head.length >= 12 && ascii(head, 4, 4) === 'ftyp') return `an ISO media file (brand "${ascii(head, 8, 4).trim()}")`;
  const sample = head.subarray(0, Math.min(head.length, 512));
  let printable = 0;
  for (const b of sample) if (b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f) || b >= 0x80) printable++;
  if (printable / sample.length > 0.95) return 'a text file';
  return 'an unrecognised binary file';
}

export const SUPPORTED_TYPES_TEXT = 'PDF, JPEG, PNG, WebP, TIFF or HEIC/HEIF';
