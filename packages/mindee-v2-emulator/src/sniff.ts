/**
 * The emulator's own content sniffer, written from the formats' published signatures and kept
 * apart from any client's: a test double that shared the client's sniffer would repeat its bugs,
 * and every test would still pass. Like Mindee, it looks at the bytes and ignores the declared
 * type and the file name.
 */

export type DocumentKind = 'pdf' | 'jpeg' | 'png' | 'webp' | 'tiff' | 'heic';

export const MIME_TYPES: Readonly<Record<DocumentKind, string>> = {
  pdf: 'application/pdf',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  tiff: 'image/tiff',
  heic: 'image/heic',
};

export const ACCEPTED_TYPES_TEXT = 'PDF, JPEG, PNG, WebP, TIFF or HEIC/HEIF';

export type SniffOutcome = { accepted: true; kind: DocumentKind; mimeType: string } | { accepted: false; looksLike: string };

/**
 * PDF readers look for the header in the first KiB and for the end-of-file marker in the last
 * KiB (ISO 32000-1, 7.5.2 and 7.5.5, and the tolerance every reader has grown).
 */
const PDF_WINDOW = 1024;

/** HEIF brands (ISO/IEC 23008-12): still images and sequences, HEVC-coded or generic. */
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
/** The first box of an ISO base media file is at most this long in any file we could accept. */
const MAX_FTYP_BYTES = 4096;

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', Math.max(0, start), Math.min(bytes.length, end));
}

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  if (bytes.length < at + signature.length) return false;
  return signature.every((b, i) => bytes[at + i] === b);
}

/** What a file is: one of the accepted kinds, or a short name of what it looks like ("a ZIP archive"). */
export function sniffDocument(bytes: Uint8Array): SniffOutcome {
  if (bytes.length === 0) return refused('an empty file');
  // A program is refused whatever it carries further on, a PDF header included.
  const program = programKind(bytes);
  if (program) return refused(program);
  const image = imageKind(bytes);
  if (image) return accepted(image);
  const other = otherKind(bytes);
  if (other) return refused(other);
  const pdf = pdfVerdict(bytes);
  if (pdf === 'pdf') return accepted('pdf');
  if (pdf) return refused(pdf);
  return refused(textKind(bytes) ?? 'an unrecognised binary file');
}

function accepted(kind: DocumentKind): SniffOutcome {
  return { accepted: true, kind, mimeType: MIME_TYPES[kind] };
}

function refused(looksLike: string): SniffOutcome {
  return { accepted: false, looksLike };
}

function programKind(bytes: Uint8Array): string | null {
  if (startsWith(bytes, [0x4d, 0x5a])) return 'a Windows executable';
  if (startsWith(bytes, [0x7f, 0x45, 0x4c, 0x46])) return 'an ELF executable';
  if (bytes.length >= 4) {
    const magic = Buffer.from(bytes.buffer, bytes.byteOffset, 4).readUInt32BE(0);
    // Mach-O in both byte orders and widths, and fat binaries (0xCAFEBABE is also a Java class).
    if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) return 'a macOS executable or Java class';
  }
  if (startsWith(bytes, [0x23, 0x21])) return 'a script (it starts with #!)';
  if (startsWith(bytes, [0x00, 0x61, 0x73, 0x6d])) return 'a WebAssembly module';
  return null;
}

function imageKind(bytes: Uint8Array): DocumentKind | null {
  // JPEG: SOI marker, then the first segment's marker.
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (latin1(bytes, 0, 4) === 'RIFF' && latin1(bytes, 8, 12) === 'WEBP') return 'webp';
  // TIFF and BigTIFF, little- and big-endian.
  const tiff = latin1(bytes, 0, 4);
  if (tiff === 'II*\0' || tiff === 'MM\0*' || tiff === 'II+\0' || tiff === 'MM\0+') return 'tiff';
  const brands = isoBrands(bytes);
  if (brands && !AVIF_BRANDS.has(brands.major) && [brands.major, ...brands.compatible].some((b) => HEIF_BRANDS.has(b))) return 'heic';
  return null;
}

/** The brands of an ISO base media file's leading `ftyp` box, or null when it has none. */
function isoBrands(bytes: Uint8Array): { major: string; compatible: string[] } | null {
  if (bytes.length < 16 || latin1(bytes, 4, 8) !== 'ftyp') return null;
  const size = Buffer.from(bytes.buffer, bytes.byteOffset, 4).readUInt32BE(0);
  if (size < 16 || size > MAX_FTYP_BYTES) return null;
  const end = Math.min(size, bytes.length);
  const compatible: string[] = [];
  for (let at = 16; at + 4 <= end; at += 4) compatible.push(latin1(bytes, at, at + 4));
  return { major: latin1(bytes, 8, 12), compatible };
}

function otherKind(bytes: Uint8Array): string | null {
  const head = latin1(bytes, 0, 8);
  if (head.startsWith('PK\x03\x04') || head.startsWith('PK\x05\x06')) {
    // An Office Open XML or OpenDocument file is a ZIP whose first entry names its type.
    const firstName = latin1(bytes, 30, 30 + 64);
    if (firstName.startsWith('[Content_Types].xml') || firstName.startsWith('_rels/')) return 'an Office document (.docx, .xlsx or .pptx)';
    if (firstName.startsWith('mimetype') && latin1(bytes, 38, 38 + 64).includes('opendocument')) return 'an OpenDocument file';
    return 'a ZIP archive';
  }
  if (head === '\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1') return 'a legacy Office document (.doc, .xls, .ppt or .msg)';
  if (head.startsWith('{\\rtf')) return 'an RTF document';
  if (head.startsWith('\x1f\x8b')) return 'a gzip archive';
  if (head.startsWith('Rar!\x1a\x07')) return 'a RAR archive';
  if (head.startsWith("7z\xbc\xaf'\x1c")) return 'a 7-Zip archive';
  if (head.startsWith('%!PS')) return 'a PostScript file';
  if (head.startsWith('GIF87a') || head.startsWith('GIF89a')) return 'a GIF image';
  // BMP: "BM", the file size, then two reserved words that are zero.
  if (head.startsWith('BM') && startsWith(bytes, [0, 0, 0, 0], 6)) return 'a BMP image';
  if (latin1(bytes, 0, 4) === 'RIFF') return `a RIFF file (${latin1(bytes, 8, 12).trim() || 'unknown kind'}), not WebP`;
  const brands = isoBrands(bytes);
  if (brands) return AVIF_BRANDS.has(brands.major) ? 'an AVIF image' : `an ISO media file (brand "${brands.major.trim()}")`;
  // Markup goes before the PDF test: a web page quoting "%PDF-" is still a web page.
  const markup = markupKind(bytes);
  if (markup) return markup;
  return null;
}

function markupKind(bytes: Uint8Array): string | null {
  const start = latin1(bytes, 0, 512).replace(/^(\xef\xbb\xbf)/, '').trimStart().toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html') || start.startsWith('<head') || start.startsWith('<body')) {
    return 'an HTML page';
  }
  if (start.startsWith('<svg') || (start.startsWith('<?xml') && start.includes('<svg'))) return 'an SVG image';
  if (start.startsWith('<?xml')) return 'an XML file';
  return null;
}

/** 'pdf', a name for a PDF that is not whole, or null when nothing says PDF. */
function pdfVerdict(bytes: Uint8Array): 'pdf' | string | null {
  const header = /%PDF-\d\.\d/.exec(latin1(bytes, 0, PDF_WINDOW));
  if (!header) return null;
  const tail = latin1(bytes, bytes.length - PDF_WINDOW, bytes.length);
  if (!tail.includes('%%EOF')) return 'a PDF without its end-of-file marker (cut short, or not a PDF)';
  return 'pdf';
}

function textKind(bytes: Uint8Array): string | null {
  const sample = bytes.subarray(0, Math.min(bytes.length, 4096));
  if (startsWith(sample, [0xff, 0xfe]) || startsWith(sample, [0xfe, 0xff])) return 'a text file (UTF-16)';
  if (sample.includes(0)) return null;
  let controls = 0;
  for (const b of sample) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) controls++;
  if (controls > sample.length / 100) return null;
  // Text is valid UTF-8 (a character cut by the sample's end aside) or mostly 7-bit.
  const utf8 = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  const invalid = utf8.split('\ufffd').length - 1;
  let high = 0;
  for (const b of sample) if (b >= 0x80) high++;
  if (invalid <= 1 || high / sample.length < 0.1) {
    const trimmed = utf8.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) return 'a JSON or text file';
    return 'a text file';
  }
  return null;
}
