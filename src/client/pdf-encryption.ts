/**
 * Tells a password-protected PDF from its bytes, without a PDF library and with flat memory:
 * an encrypted PDF names its encryption dictionary with an `/Encrypt` entry in its trailer (or,
 * since PDF 1.5, in its cross-reference stream's dictionary). Trailers can sit anywhere
 * (incremental updates, linearised files), so the whole file is scanned, in fixed-size chunks.
 */
import type { FileHandle } from 'node:fs/promises';

/** Somewhere bytes can be read from at a position: a file handle or a buffer. */
export interface ByteSource {
  readonly size: number;
  /** Reads up to `target.length` bytes at `position`; returns how many were read. */
  read(target: Uint8Array, position: number): Promise<number>;
}

export function fileHandleSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    async read(target, position) {
      const { bytesRead } = await handle.read(target, 0, target.length, position);
      return bytesRead;
    },
  };
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async read(target, position) {
      const slice = bytes.subarray(position, position + target.length);
      target.set(slice);
      return slice.length;
    },
  };
}

/** Bytes read at a time while scanning. */
export const PDF_SCAN_CHUNK_BYTES = 1024 * 1024;
/** How much is read around a candidate `/Encrypt` to see which dictionary holds it. */
const CONTEXT_BEFORE = 16 * 1024;
const CONTEXT_AFTER = 1024;

const MARKER = Buffer.from('/Encrypt', 'latin1');
const HASH = 0x23;
/** `/Encrypt` with every letter escaped: no longer name can decode to it. */
const MAX_ESCAPED_NAME = 1 + 'Encrypt'.length * 3;
/**
 * Candidates whose surroundings are read, at most: a file made of `/Encrypt` words would otherwise
 * cost a context read each. Past it the scan gives up and says "not encrypted": Mindee then
 * refuses the file itself if it is.
 */
export const MAX_ENCRYPT_CANDIDATES = 256;
/** A page object's type entry is `/Type /Page`; `/Pages` (the page tree) is not one. */
const TYPE = Buffer.from('/Type', 'latin1');
const PAGE = Buffer.from('/Page', 'latin1');

const PARTIAL = -2;

/** Where `/Page` ends after white space at `from`; -1 when it does not follow; PARTIAL when the window ends first. */
function pageObjectEnd(window: Buffer, from: number): number {
  let i = from;
  while (i < window.length && (window[i] === 32 || window[i] === 10 || window[i] === 13 || window[i] === 9 || window[i] === 12 || window[i] === 0)) i++;
  const available = window.length - i;
  if (available < PAGE.length) return window.compare(PAGE, 0, available, i, window.length) === 0 ? PARTIAL : -1;
  return window.compare(PAGE, 0, PAGE.length, i, i + PAGE.length) === 0 ? i + PAGE.length : -1;
}

function isNameChar(byte: number): boolean {
  return (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122);
}
/** Bytes kept from one chunk to the next, so a marker split between them is still seen. */
const CARRY = 32;

export interface PdfEncryptionScan {
  encrypted: boolean;
  /** Byte offset of the `/Encrypt` entry found, or null. */
  offset: number | null;
  /**
   * Page objects (`/Type /Page`) seen in the file's uncompressed parts: the page count, or 0 when
   * the pages sit in compressed object streams. Counted only when the scan reads the whole file.
   */
  pageObjects: number;
  /** What the scan cost, so tests can show memory stays bounded. */
  bytesScanned: number;
  reads: number;
  largestReadBytes: number;
}

export interface PdfScanOptions {
  chunkBytes?: number;
}

/** Scans a whole PDF for an `/Encrypt` entry of a trailer or cross-reference stream dictionary. */
export async function scanPdfForEncryption(source: ByteSource, options: PdfScanOptions = {}): Promise<PdfEncryptionScan> {
  const chunkBytes = Math.max(MARKER.length + 1, Math.floor(options.chunkBytes ?? PDF_SCAN_CHUNK_BYTES));
  const scan: PdfEncryptionScan = { encrypted: false, offset: null, pageObjects: 0, bytesScanned: 0, reads: 0, largestReadBytes: 0 };
  // One buffer for the whole scan: the chunk plus the bytes carried over from the previous one,
  // so a marker split across two reads is still seen whole.
  const buf = Buffer.alloc(chunkBytes + CARRY);
  // Absolute offsets already handled: the carried bytes are seen twice, their markers once.
  let lastMarker = -1;
  let lastEscaped = -1;
  let lastPage = -1;
  let examined = 0;
  const context = Buffer.alloc(CONTEXT_BEFORE + MAX_ESCAPED_NAME + CONTEXT_AFTER);
  let carry = 0;
  let position = 0;
  while (position < source.size) {
    const want = Math.min(chunkBytes, source.size - position);
    const n = await source.read(buf.subarray(carry, carry + want), position);
    scan.reads++;
    scan.largestReadBytes = Math.max(scan.largestReadBytes, want);
    if (n <= 0) break; // the file got shorter while we read it
    scan.bytesScanned += n;
    position += n;
    const total = carry + n;
    const base = position - total; // file offset of buf[0]
    const window = buf.subarray(0, total);
    const last = position >= source.size;
    // Searched in the bytes themselves: a string copy of every chunk would cost memory.
    for (let i = window.indexOf(TYPE); i !== -1; i = window.indexOf(TYPE, i + 1)) {
      if (base + i <= lastPage) continue;
      const end = pageObjectEnd(window, i + TYPE.length);
      // Cut off by the end of the window, or ending it (it may be /Pages): the carried bytes
      // bring it back with the next chunk.
      if (end === -1 || end === PARTIAL || (end >= total && !last)) continue;
      if (end < total && isNameChar(window[end]!)) continue;
      lastPage = base + i;
      scan.pageObjects++;
    }
    const candidates: Array<{ at: number; length: number }> = [];
    for (let i = window.indexOf(MARKER); i !== -1; i = window.indexOf(MARKER, i + 1)) {
      // The byte after the name decides whether it is /Encrypt or, say, /EncryptMetadata; when it
      // is not read yet, the marker is carried into the next round.
      if (i + MARKER.length >= total) break;
      if (base + i <= lastMarker) continue;
      lastMarker = base + i;
      if (isDelimiter(window[i + MARKER.length]!)) candidates.push({ at: i, length: MARKER.length });
    }
    // The same name written with #xx escapes (`/Encr#79pt`), which a reader decodes.
    for (let h = window.indexOf(HASH); h !== -1; h = window.indexOf(HASH, h + 1)) {
      const name = escapedNameAround(window, h, last);
      if (name === null) continue;
      h = name.at + name.length - 1;
      if (base + name.at <= lastEscaped) continue;
      lastEscaped = base + name.at;
      if (name.decoded === 'Encrypt') candidates.push(name);
    }
    for (const candidate of candidates) {
      if (++examined > MAX_ENCRYPT_CANDIDATES) {
        scan.pageObjects = 0; // counted in part only
        return scan;
      }
      const offset = base + candidate.at;
      const start = Math.max(0, offset - CONTEXT_BEFORE);
      const length = Math.min(source.size, offset + candidate.length + CONTEXT_AFTER) - start;
      const got = await source.read(context.subarray(0, length), start);
      scan.reads++;
      if (isEncryptEntry(context.subarray(0, got), offset - start, candidate.length)) {
        scan.encrypted = true;
        scan.offset = offset;
        return scan;
      }
    }
    carry = Math.min(CARRY, total);
    buf.copyWithin(0, total - carry, total);
  }
  return scan;
}

/**
 * The name holding the `#` at `hash`, decoded, when it is short enough to be `/Encrypt`; null when
 * it is not a name, is longer, or runs past the window (the carried bytes bring it back whole).
 */
function escapedNameAround(window: Buffer, hash: number, last: boolean): { at: number; length: number; decoded: string } | null {
  let at = hash;
  while (at > 0 && hash - at < MAX_ESCAPED_NAME && window[at] !== 0x2f && !isDelimiter(window[at]!)) at--;
  if (window[at] !== 0x2f) return null;
  let end = at + 1;
  while (end < window.length && end - at <= MAX_ESCAPED_NAME && !isDelimiter(window[end]!)) end++;
  if (end - at > MAX_ESCAPED_NAME) return null;
  if (end === window.length && !last) return null;
  return { at, length: end - at, decoded: decodeName(window.toString('latin1', at + 1, end)) };
}

/** A PDF name's characters with its `#xx` escapes decoded, as a reader sees them. */
function decodeName(raw: string): string {
  return raw.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * The text as a reader's tokens see it: comments (`%` to the end of the line, outside strings)
 * become a space, and names are decoded. Offsets change; keywords and their order do not.
 */
function readerView(text: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (depth > 0) {
      if (c === '\\') {
        out += text.slice(i, i + 2);
        i++;
        continue;
      }
      if (c === '(') depth++;
      else if (c === ')') depth--;
      out += c;
    } else if (c === '(') {
      depth = 1;
      out += c;
    } else if (c === '%') {
      const eol = text.slice(i).search(/[\r\n]/);
      i = eol === -1 ? text.length : i + eol - 1;
      out += ' ';
    } else if (c === '/') {
      let end = i + 1;
      while (end < text.length && !isDelimiter(text.charCodeAt(end))) end++;
      out += `/${decodeName(text.slice(i + 1, end))}`;
      i = end - 1;
    } else {
      out += c;
    }
  }
  return out;
}

function isDelimiter(byte: number): boolean {
  // PDF white space and delimiters: a name ends at any of them.
  return byte === 0 || byte === 9 || byte === 10 || byte === 12 || byte === 13 || byte === 32 || '()<>[]{}/%'.includes(String.fromCharCode(byte));
}

/**
 * Whether the `/Encrypt` at `at` in `window` is an entry of a trailer or xref-stream dictionary
 * whose value is a reference or a dictionary — not the same word in page text, metadata or a
 * stream's data. When the context cannot tell, says no: a false "password-protected" would
 * block a good document, a miss only lets Mindee refuse it.
 */
export function isEncryptEntry(window: Uint8Array, at: number, nameLength = MARKER.length): boolean {
  const text = Buffer.from(window.buffer, window.byteOffset, window.length).toString('latin1');
  const after = readerView(text.slice(at + nameLength));
  if (!/^\s*(\d+\s+\d+\s+R\b|<<)/.test(after)) return false;
  const before = readerView(text.slice(0, at));
  // Inside a stream's data (page text, an embedded file…) nothing is a dictionary entry.
  let streamOpen = -1;
  for (const m of before.matchAll(/(?<!end)stream\b/g)) streamOpen = m.index;
  if (streamOpen > before.lastIndexOf('endstream')) return false;
  const trailerAt = before.lastIndexOf('trailer');
  const endAt = Math.max(before.lastIndexOf('endstream'), before.lastIndexOf('endobj'));
  let objAt = -1;
  for (const m of before.matchAll(/\d+\s+\d+\s+obj\b/g)) objAt = m.index;
  const nearest = Math.max(trailerAt, endAt, objAt);
  if (nearest === -1) return false;
  if (nearest === trailerAt) return true;
  if (nearest === endAt) return false;
  // Inside an object: only a cross-reference stream's dictionary carries the trailer's entries.
  const dictEnd = after.indexOf('stream');
  const dictionary = before.slice(objAt) + (dictEnd === -1 ? after : after.slice(0, dictEnd));
  return /\/Type\s*\/XRef\b/.test(dictionary);
}
