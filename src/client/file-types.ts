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
/** How many trailing bytes it needs to see that a PDF ends as one. */
export const SNIFF_TAIL_BYTES = 1024;

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'heif', 'avci']);

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.max(0, Math.min(length, bytes.length - start))).toString('latin1');
}

/**
 * Sniffs the type of a document from its first bytes (`head`, at least SNIFF_HEAD_BYTES when the
 * file is that long) and its last bytes (`tail`, at least SNIFF_TAIL_BYTES; the same bytes when the
 * file is short). Returns null for anything Mindee does not accept: `describeUnsupported` then
 * says what it is.
 */
export function sniffFileType(head: Uint8Array, tail?: Uint8Array): SniffedType | null {
  const kind = sniffKind(head, tail);
  return kind ? { kind, mimeType: MIME[kind] } : null;
}

function sniffKind(head: Uint8Array, tail?: Uint8Array): DocumentKind | null {
  // A program is refused whatever bytes follow its magic number, a PDF header included.
  if (describeExecutable(head)) return null;
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && ascii(head, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WEBP') return 'webp';
  if (head.length >= 4) {
    const sig = ascii(head, 0, 4);
    if (sig === 'II*\x00' || sig === 'MM\x00*') return 'tiff';
  }
  if (head.length >= 12 && ascii(head, 4, 4) === 'ftyp' && HEIF_BRANDS.has(ascii(head, 8, 4))) return 'heic';
  return pdfShape(head, tail) === 'pdf' ? 'pdf' : null;
}

/**
 * Whether the bytes are a PDF: 'pdf' when it starts as one and ends as one, 'damaged' when it
 * starts as one but its end is missing (cut short, or another file with a PDF header inside),
 * null when it does not start as one.
 */
function pdfShape(head: Uint8Array, tail: Uint8Array | undefined): 'pdf' | 'damaged' | null {
  const start = ascii(head, 0, SNIFF_HEAD_BYTES);
  const headerAt = start.indexOf('%PDF-');
  let starts: boolean;
  if (headerAt === 0) starts = true;
  else if (headerAt > 0) {
    // Readers accept a header anywhere in the first KiB, after stray bytes — but not inside a
    // file that is plainly something else (an archive, a page of markup).
    starts = describeKnownFormat(head) === null && !MARKUP.test(start.slice(0, headerAt));
  } else {
    // Some exporters omit the header; such a file still starts with its first object.
    starts = /^(%[^\n]*\n)?\s*\d+ \d+ obj/.test(ascii(head, 0, 64));
  }
  if (!starts) return null;
  const end = tail && tail.length > 0 ? ascii(tail, 0, tail.length) : start;
  // Every PDF ends with `startxref <offset> %%EOF` (some writers add a few bytes after it).
  return /startxref\s*\d+\s*%%EOF/.test(end) ? 'pdf' : 'damaged';
}

/** The start of a tag (`<html`, `<!doctype`, `<?xml`, `</div`): the bytes are markup, not a PDF. */
const MARKUP = /<[!?/]?[A-Za-z]/;

/** What an executable's first bytes look like, or null: a "document" that is a program is refused outright. */
export function describeExecutable(head: Uint8Array): string | null {
  if (ascii(head, 0, 2) === 'MZ') return 'a Windows executable';
  if (ascii(head, 0, 4) === '\x7fELF') return 'an ELF executable';
  if (head.length >= 4) {
    const magic = Buffer.from(head.buffer, head.byteOffset, 4).readUInt32BE(0);
    // Mach-O 32/64-bit in either byte order, and universal binaries (which share 0xCAFEBABE with
    // Java classes: neither is a document).
    if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) return 'a macOS (Mach-O) executable';
  }
  if (ascii(head, 0, 2) === '#!') return 'a script (it starts with #!)';
  return null;
}

/** What a file that starts as a PDF but does not end as one is called in messages. */
export const DAMAGED_PDF = 'a PDF but is cut short or damaged';

/**
 * A short name for whatever the bytes look like, for refusal messages ("a text file"); `tail`
 * (the last bytes) tells a PDF cut short from other files.
 */
export function describeUnsupported(head: Uint8Array, tail?: Uint8Array): string {
  if (head.length === 0) return 'an empty file';
  const known = describeExecutable(head) ?? describeKnownFormat(head);
  if (known) return known;
  // Markup is named as such even when binary bytes (a PDF, say) follow its first tags.
  const start = new TextDecoder('utf-8').decode(head.subarray(0, Math.min(head.length, 512))).replace(/^\ufeff/, '').trimStart().toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html')) return 'an HTML page';
  if (start.startsWith('<svg') || (start.startsWith('<?xml') && start.includes('<svg'))) return 'an SVG image';
  if (start.startsWith('<?xml')) return 'an XML file';
  if (pdfShape(head, tail) === 'damaged') return DAMAGED_PDF;
  return looksLikeText(head) ? 'a text file' : 'an unrecognised binary file';
}

/** Formats told by their first bytes that are neither documents nor programs. */
function describeKnownFormat(head: Uint8Array): string | null {
  if (ascii(head, 0, 4) === 'PK\x03\x04') return 'a ZIP archive (or an Office document)';
  if (ascii(head, 0, 8) === '\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1') return 'a legacy Microsoft Office document (.doc, .xls or .msg)';
  if (ascii(head, 0, 5) === '{\\rtf') return 'an RTF document';
  if (ascii(head, 0, 2) === '\x1f\x8b') return 'a gzip archive';
  if (ascii(head, 0, 4) === 'Rar!') return 'a RAR archive';
  if (ascii(head, 0, 6) === '7z\xbc\xaf\x27\x1c') return 'a 7-Zip archive';
  if (ascii(head, 0, 4) === '%!PS') return 'a PostScript file';
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return 'a GIF image';
  if (ascii(head, 0, 2) === 'BM') return 'a BMP image';
  if (head.length >= 12 && ascii(head, 4, 4) === 'ftyp') return `an ISO media file (brand "${ascii(head, 8, 4).trim()}")`;
  return null;
}

function looksLikeText(head: Uint8Array): boolean {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) return true; // UTF-16 BOM
  const sample = head.subarray(0, Math.min(head.length, 512));
  let printable = 0;
  for (const b of sample) if (b === 9 || b === 10 || b === 12 || b === 13 || (b >= 0x20 && b < 0x7f) || b >= 0x80) printable++;
  if (printable / sample.length <= 0.95) return false;
  // Bytes ≥ 0x80 count as text only when they form UTF-8 (the sample may cut the last character).
  for (let cut = 0; cut < 4 && cut < sample.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, sample.length - cut));
      return true;
    } catch {
      // try again without a possibly truncated trailing character
    }
  }
  // Latin-1 and other 8-bit text: accept when high bytes are a minority.
  let high = 0;
  for (const b of sample) if (b >= 0x80) high++;
  return high / sample.length < 0.3;
}

/** The usual file extensions of each accepted type, lower case, without the dot. */
const EXTENSIONS: Record<DocumentKind, readonly string[]> = {
  pdf: ['pdf'],
  jpeg: ['jpg', 'jpeg', 'jpe', 'jfif'],
  png: ['png'],
  webp: ['webp'],
  tiff: ['tif', 'tiff'],
  heic: ['heic', 'heif', 'hif'],
};

/** The type a file name claims by its extension, or null. */
export function kindFromFilename(filename: string): DocumentKind | null {
  const match = /\.([A-Za-z0-9]+)$/.exec(filename);
  if (!match) return null;
  const ext = match[1]!.toLowerCase();
  for (const [kind, exts] of Object.entries(EXTENSIONS) as Array<[DocumentKind, readonly string[]]>) {
    if (exts.includes(ext)) return kind;
  }
  return null;
}

/** How each type is named in messages. */
export const KIND_LABEL: Record<DocumentKind, string> = {
  pdf: 'PDF',
  jpeg: 'JPEG image',
  png: 'PNG image',
  webp: 'WebP image',
  tiff: 'TIFF image',
  heic: 'HEIC/HEIF image',
};

export const SUPPORTED_TYPES_TEXT = 'PDF, JPEG, PNG, WebP, TIFF or HEIC/HEIF';
