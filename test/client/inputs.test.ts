import { execFileSync } from 'node:child_process';
import { link, mkdtemp, open, rename, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MindeeInputError } from '../../src/client/errors.js';
import { formatBytes } from '../../src/lib/text.js';
import { DEFAULT_INPUT_LIMITS, prepareDocument } from '../../src/client/inputs.js';
import type { DocumentSource, PreparedDocument } from '../../src/client/types.js';
import { PDF_SCAN_CHUNK_BYTES } from '../../src/client/pdf-encryption.js';
import { makeImageStub, makePdf, makePng } from 'mindee-v2-emulator/samples';
import { encryptedPdfWithMarkerAt } from './pdf-fixtures.js';

let tmp: string;

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mindee-inputs-'));
});

/** Documents prepared by a test, closed after it (a file document holds an open handle). */
const opened: PreparedDocument[] = [];
async function prepared(...args: Parameters<typeof prepareDocument>): Promise<PreparedDocument> {
  const doc = await prepareDocument(...args);
  opened.push(doc);
  return doc;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((doc) => doc.close()));
  vi.restoreAllMocks();
  await rm(tmp, { recursive: true, force: true });
});

async function write(name: string, content: Uint8Array | string): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(file, content);
  return file;
}

async function refusal(source: DocumentSource, limits?: Parameters<typeof prepareDocument>[1]): Promise<MindeeInputError> {
  try {
    await prepared(source, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(MindeeInputError);
    return err as MindeeInputError;
  }
  throw new Error('expected a refusal, but the document was accepted');
}

function asFile(doc: PreparedDocument): Extract<PreparedDocument, { kind: 'file' }> {
  if (doc.kind !== 'file') throw new Error(`expected a file, got ${doc.kind}`);
  return doc;
}

/** Every byte the document would upload, read from its source as an upload reads it. */
async function uploaded(doc: Extract<PreparedDocument, { kind: 'file' }>): Promise<Buffer> {
  const bytes = Buffer.alloc(doc.source.size);
  let filled = 0;
  while (filled < bytes.length) {
    const n = await doc.source.read(bytes.subarray(filled), filled);
    if (n <= 0) break;
    filled += n;
  }
  return bytes.subarray(0, filled);
}

describe('prepareDocument: local files', () => {
  it('accepts a PDF and streams its bytes from the file it opened, with the sniffed type', async () => {
    const pdf = makePdf({ pages: [['one'], ['two']] });
    const file = await write('invoice.pdf', pdf);
    const doc = asFile(await prepared({ path: file }));
    try {
      expect(doc).toMatchObject({ kind: 'file', filename: 'invoice.pdf', mimeType: 'application/pdf', size: pdf.length });
      expect(doc.source.size).toBe(pdf.length);
      // Another file put at the path after the check is not what gets sent.
      await rename(file, `${file}.old`);
      await writeFile(file, makePdf({ pages: [['another'], ['document']] }));
      expect((await uploaded(doc)).equals(pdf)).toBe(true);
    } finally {
      await doc.close();
    }
  });

  it('accepts each image type, whatever the file is called', async () => {
    const cases: Array<[string, Buffer, string]> = [
      ['scan.png', makePng(16, 16), 'image/png'],
      ['photo.jpg', makeImageStub('jpeg'), 'image/jpeg'],
      ['photo.webp', makeImageStub('webp'), 'image/webp'],
      ['fax.tif', makeImageStub('tiff'), 'image/tiff'],
      ['phone.heic', makeImageStub('heic'), 'image/heic'],
      ['no-extension', makePng(), 'image/png'],
    ];
    for (const [name, bytes, mime] of cases) {
      const doc = asFile(await prepared({ path: await write(name, bytes) }));
      expect(doc).toMatchObject({ filename: name, mimeType: mime, size: bytes.length });
      expect((await uploaded(doc)).equals(bytes)).toBe(true);
      await doc.close();
    }
  });

  it('accepts a PDF written without a %PDF- header', async () => {
    const pdf = makePdf({ pages: [['x']] });
    const headerless = pdf.subarray(pdf.indexOf('1 0 obj'));
    const doc = asFile(await prepared({ path: await write('exported.pdf', headerless) }));
    expect(doc.mimeType).toBe('application/pdf');
  });

  it('uses a given filename, stripped of directories and control characters', async () => {
    const file = await write('tmp-upload-1234', makePdf({ pages: [['x']] }));
    expect(asFile(await prepared({ path: file, filename: '../../Invoice\n March.pdf' })).filename).toBe('Invoice March.pdf');
    expect(asFile(await prepared({ path: file, filename: '  ' })).filename).toBe('tmp-upload-1234');
  });

  it('refuses an unsupported type, naming what it looks like', async () => {
    const err = await refusal({ path: await write('notes.txt', 'Total: 42.00 EUR\nThank you for your order.\n') });
    expect(err.message).toBe('"notes.txt" looks like a text file; Mindee accepts PDF, JPEG, PNG, WebP, TIFF or HEIC/HEIF documents.');
    expect(err.hint).toBe('Convert it first: print or export it to PDF, or save it as a JPEG or PNG image, then send that file.');
    const zip = await refusal({ path: await write('archive.zip', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(100)])) });
    expect(zip.message).toBe('"archive.zip" looks like a ZIP archive (or an Office document); Mindee accepts PDF, JPEG, PNG, WebP, TIFF or HEIC/HEIF documents.');
  });

  it('says so when a file named like a document is something else', async () => {
    const err = await refusal({ path: await write('scan.pdf', '<!DOCTYPE html><html><body>Sign in</body></html>') });
    expect(err.message).toBe(
      '"scan.pdf" looks like an HTML page; Mindee accepts PDF, JPEG, PNG, WebP, TIFF or HEIC/HEIF documents. It is named like a PDF, but its content is not one.',
    );
    expect(err.hint).toMatch(/damaged or only partly downloaded/);
  });

  it('refuses a renamed executable', async () => {
    const elf = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(500)]);
    const err = await refusal({ path: await write('report.pdf', elf) });
    expect(err.message).toBe('"report.pdf" is named like a PDF but is really an ELF executable: refused.');
    expect(err.hint).toBe('Check the file: send only real documents (PDF, JPEG, PNG, WebP, TIFF or HEIC/HEIF).');
    const mz = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(500)]);
    expect((await refusal({ path: await write('receipt.jpg', mz) })).message).toBe(
      '"receipt.jpg" is named like a JPEG image but is really a Windows executable: refused.',
    );
    expect((await refusal({ path: await write('tool', mz) })).message).toBe('"tool" is a Windows executable, not a document: refused.');
  });

  it('refuses an empty file', async () => {
    const err = await refusal({ path: await write('empty.pdf', '') });
    expect(err.message).toBe('"empty.pdf" is empty (0 bytes): there is nothing to send.');
  });

  it('refuses a file over 100 MB, giving its size and the limit (sparse files, nothing written)', async () => {
    const justOver = await write('big.pdf', makePdf({ pages: [['x']] }));
    await truncate(justOver, DEFAULT_INPUT_LIMITS.maxFileBytes + 1);
    const err = await refusal({ path: justOver });
    expect(err.message).toBe('"big.pdf" is 100 MB (104,857,601 bytes), over the 100 MB (104,857,600 bytes) limit for one document.');
    expect(err.hint).toBe('Split the PDF into smaller files, or compress or downscale the images, and send each part separately.');

    const huge = await write('huge.tif', makeImageStub('tiff'));
    await truncate(huge, 150 * 1024 * 1024);
    expect((await refusal({ path: huge })).message).toBe('"huge.tif" is 150 MB, over the 100 MB limit for one document.');

    const small = await write('small.png', makePng(64, 64));
    expect((await refusal({ path: small }, { maxFileBytes: 100 })).message).toMatch(/^"small\.png" is \d+ bytes, over the 100 bytes limit for one document\.$/);
  });

  it('refuses a password-protected PDF', async () => {
    const err = await refusal({ path: await write('locked.pdf', makePdf({ pages: [['secret']], encrypted: true })) });
    expect(err.message).toBe('"locked.pdf" is a password-protected (encrypted) PDF; Mindee cannot read encrypted PDFs.');
    expect(err.hint).toBe(
      'Remove the protection first — open it with its password and save or print it as a new, unprotected PDF (or run `qpdf --decrypt in.pdf out.pdf`) — then send that copy.',
    );
  });

  it('refuses an encrypted PDF whose /Encrypt straddles the boundary between two read chunks', async () => {
    for (const split of [1, 4, 7, 8]) {
      // `split` bytes of the 8-byte marker (or, for 8, all of it but the byte after) fall in the first chunk.
      const pdf = encryptedPdfWithMarkerAt(PDF_SCAN_CHUNK_BYTES - split);
      expect(pdf.toString('latin1', PDF_SCAN_CHUNK_BYTES - split, PDF_SCAN_CHUNK_BYTES - split + 8)).toBe('/Encrypt');
      const err = await refusal({ path: await write(`split-${split}.pdf`, pdf) });
      expect(err.message).toBe(`"split-${split}.pdf" is a password-protected (encrypted) PDF; Mindee cannot read encrypted PDFs.`);
    }
  });

  it('does not mistake the word /Encrypt in page text or /EncryptMetadata for encryption', async () => {
    const pdf = makePdf({ pages: [['/Encrypt 12 0 R', '<< /EncryptMetadata false >>']] });
    expect(asFile(await prepared({ path: await write('about-encryption.pdf', pdf) })).mimeType).toBe('application/pdf');
  });

  it('checks a ~100 MB PDF reading fixed-size chunks, never the whole file at once', async () => {
    const file = await write('large.pdf', makePdf({ pages: [['large']] }));
    const size = DEFAULT_INPUT_LIMITS.maxFileBytes - 4096;
    await truncate(file, size); // a sparse hole: costs no disk and no time to write
    // An incremental update at the very end that turns encryption on: only a scan of the whole
    // file finds it.
    const update = Buffer.from('\ntrailer\n<< /Size 9 /Root 1 0 R /Encrypt 8 0 R >>\nstartxref\n9\n%%EOF\n', 'latin1');
    const handle = await open(file, 'r+');
    await handle.write(update, 0, update.length, size - update.length);
    const fileHandleProto = Object.getPrototypeOf(handle) as { read: (...args: unknown[]) => unknown };
    await handle.close();

    const original = fileHandleProto.read;
    const reads: number[] = [];
    const arrayBuffers: number[] = [];
    const baseline = process.memoryUsage().arrayBuffers;
    vi.spyOn(fileHandleProto, 'read').mockImplementation(function (this: unknown, ...args: unknown[]) {
      reads.push((args[0] as Uint8Array).byteLength);
      arrayBuffers.push(process.memoryUsage().arrayBuffers);
      return original.apply(this, args);
    });

    const err = await refusal({ path: file });
    expect(err.message).toBe('"large.pdf" is a password-protected (encrypted) PDF; Mindee cannot read encrypted PDFs.');
    expect(reads.length).toBeGreaterThanOrEqual(Math.ceil(size / PDF_SCAN_CHUNK_BYTES));
    expect(Math.max(...reads)).toBeLessThanOrEqual(PDF_SCAN_CHUNK_BYTES);
    expect(reads.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(size);
    // Memory outside the JS heap (where Buffers live) stays within a few chunks of where it started.
    expect(Math.max(...arrayBuffers) - baseline).toBeLessThan(16 * 1024 * 1024);
  });
});

describe('prepareDocument: base64', () => {
  it('accepts plain base64, deriving the filename from the sniffed type', async () => {
    const png = makePng();
    const doc = asFile(await prepared({ base64: png.toString('base64') }));
    expect(doc).toMatchObject({ filename: 'document.png', mimeType: 'image/png', size: png.length });
    expect((await uploaded(doc)).equals(png)).toBe(true);
  });

  it('accepts a data: URL and line-wrapped base64, keeping a given filename', async () => {
    const pdf = makePdf({ pages: [['x']] });
    const wrapped = pdf.toString('base64').replace(/.{76}/g, '$&\r\n');
    const doc = asFile(await prepared({ base64: `data:application/pdf;base64,${wrapped}`, filename: 'march.pdf' }));
    expect(doc).toMatchObject({ filename: 'march.pdf', mimeType: 'application/pdf', size: pdf.length });
    expect((await uploaded(doc)).equals(pdf)).toBe(true);
    // The declared type is not trusted: the content decides.
    const jpeg = makeImageStub('jpeg');
    expect(asFile(await prepared({ base64: `data:application/pdf;base64,${jpeg.toString('base64')}` }))).toMatchObject({
      filename: 'document.jpg',
      mimeType: 'image/jpeg',
    });
  });

  it('accepts URL-safe base64 and missing padding', async () => {
    const bytes = makeImageStub('webp', 301);
    const doc = asFile(await prepared({ base64: bytes.toString('base64url') }));
    expect(doc.mimeType).toBe('image/webp');
    expect((await uploaded(doc)).equals(bytes)).toBe(true);
  });

  it('refuses invalid base64 characters and padding', async () => {
    const bad = await refusal({ base64: 'JVBERi0x$LjQK' });
    expect(bad.message).toBe('The document content is not valid base64: it contains "$" at position 9, which is not a base64 character.');
    expect(bad.hint).toMatch(/the path of a local file or a public https URL/);
    expect(bad.code).toBe('base64_refused');
    expect((await refusal({ base64: 'QUJD=RA==' })).message).toBe(
      'The document content is not valid base64: "=" padding may only appear once or twice, at the very end.',
    );
    expect((await refusal({ base64: 'QUJDR' })).message).toBe(
      'The document content is not valid base64: its length (5 characters) leaves one character over, so it is cut short or has an extra character.',
    );
    expect((await refusal({ base64: 'QUJ=' + 'A' })).message).toMatch(/"=" padding may only appear/);
    expect((await refusal({ base64: 'ab+c-d==' })).message).toBe(
      'The document content is not valid base64: it mixes the standard (+ /) and URL-safe (- _) alphabets.',
    );
    expect((await refusal({ base64: 'data:application/pdf,%25PDF-1.4' })).message).toBe(
      'The data: URL is not base64-encoded (it has no ";base64" before the comma).',
    );
  });

  it('refuses base64 over the cap from its length alone, before decoding or validating it', async () => {
    const over = 'A'.repeat(Math.ceil(((DEFAULT_INPUT_LIMITS.maxBase64Bytes + 1024 * 1024) * 4) / 3)) + '$';
    const fromSpy = vi.spyOn(Buffer, 'from');
    const err = await refusal({ base64: over });
    expect(fromSpy).not.toHaveBeenCalled();
    expect(err.message).toBe('The base64 document decodes to about 6 MB, over the 5 MB limit for base64 content.');
    expect(err.hint).toBe(
      'Base64 has to be written out by the model token by token: give the path of a file in an allowed directory or a public https URL instead.',
    );
    expect((await refusal({ base64: makePng(32, 32).toString('base64') }, { maxBase64Bytes: 50 })).message).toMatch(
      /^The base64 document decodes to about \d+ bytes, over the 50 bytes limit for base64 content\.$/,
    );
  });

  it('applies the type, empty and encryption checks to base64 content', async () => {
    expect((await refusal({ base64: Buffer.from('just some words\n').toString('base64') })).message).toBe(
      'The base64 document looks like a text file; Mindee accepts PDF, JPEG, PNG, WebP, TIFF or HEIC/HEIF documents.',
    );
    expect((await refusal({ base64: '  \n ' })).message).toBe('The base64 document is empty (0 bytes): there is nothing to send.');
    expect((await refusal({ base64: 'data:application/pdf;base64,' , filename: 'x.pdf' })).message).toBe(
      '"x.pdf" is empty (0 bytes): there is nothing to send.',
    );
    const locked = makePdf({ pages: [['x']], encrypted: true }).toString('base64');
    expect((await refusal({ base64: locked })).message).toBe(
      'The base64 document is a password-protected (encrypted) PDF; Mindee cannot read encrypted PDFs.',
    );
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64)]).toString('base64');
    expect((await refusal({ base64: exe, filename: 'invoice.pdf' })).message).toBe(
      '"invoice.pdf" is named like a PDF but is really a Windows executable: refused.',
    );
  });
});

describe('prepareDocument: URLs', () => {
  it('passes a https URL through without fetching it', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const url = 'https://files.example.com/invoices/2026/INV-42.pdf?X-Amz-Signature=abc&X-Amz-Expires=300';
    expect(await prepared({ url })).toMatchObject({ kind: 'url', url });
    expect(await prepared({ url: ' https://example.com/a b.pdf ' })).toMatchObject({ kind: 'url', url: 'https://example.com/a%20b.pdf' });
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('refuses http, saying Mindee fetches https itself and does not follow redirects', async () => {
    const err = await refusal({ url: 'http://example.com/invoice.pdf' });
    expect(err.message).toBe('The document URL uses http:, but Mindee only fetches https URLs.');
    expect(err.hint).toBe(
      'Use the https:// address of the document, or download it into an allowed directory and send it as a local file. Mindee fetches the URL itself, from its own servers, and does not follow redirects: give the final, publicly reachable https address of the document (a pre-signed link works).',
    );
    expect((await refusal({ url: 'file:///home/me/invoice.pdf' })).hint).toBe('This is a local file: give its path instead of a URL.');
    expect((await refusal({ url: 'ftp://example.com/a.pdf' })).message).toBe('The document URL uses ftp:, but Mindee only fetches https URLs.');
  });

  it('refuses a URL written without a host, which the URL parser would read as the host', async () => {
    for (const url of ['https:///invoice.pdf', 'https:/invoice.pdf', 'https:invoice.pdf', 'https:\\\\invoice.pdf']) {
      const err = await refusal({ url });
      expect(err.message, url).toMatch(/has no host: it must be written https:\/\/<host>\/<path>/);
      expect(err.code).toBe('url_refused');
    }
    expect(await prepared({ url: 'HTTPS://Example.com/a.pdf' })).toMatchObject({ kind: 'url', url: 'https://example.com/a.pdf' });
  });

  it('refuses credentials in the URL without repeating them', async () => {
    for (const url of ['https://alice:s3cret@example.com/a.pdf', 'https://token@example.com/a.pdf']) {
      const err = await refusal({ url });
      expect(err.message).toBe(
        "The document URL contains credentials (user:password@ before example.com): refused, as they would be sent to Mindee and end up in its fetcher's logs.",
      );
      expect(`${err.message} ${err.hint}`).not.toMatch(/s3cret|token@/);
    }
  });

  it('refuses a URL over 2048 characters, and one that does not parse', async () => {
    const url = `https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length + 1)}`;
    expect(url.length).toBe(2049);
    expect((await refusal({ url })).message).toBe('The document URL is 2049 characters long; Mindee accepts URLs of at most 2048.');
    const exact = url.slice(0, 2048);
    expect(await prepared({ url: exact })).toMatchObject({ kind: 'url', url: exact });
    expect((await refusal({ url: 'example.com/invoice.pdf' })).message).toBe('"example.com/invoice.pdf" is not a valid URL.');
    expect((await refusal({ url: '' })).message).toBe('The document URL is empty.');
  });
});

describe('prepareDocument: sources', () => {

  it.skipIf(process.platform === 'win32')('refuses a FIFO or a directory given directly, without blocking on the open', async () => {
    const fifo = path.join(tmp, 'pipe.pdf');
    execFileSync('mkfifo', [fifo]);
    expect((await refusal({ path: fifo })).message).toBe(`${fifo} is a named pipe (FIFO), not a regular file: only regular files are uploaded.`);
    expect((await refusal({ path: tmp })).message).toBe(`${tmp} is a directory, not a regular file: only regular files are uploaded.`);
  });

  it('refuses a file that is not the one checked: another inode, another link count, or a link now', async () => {
    const file = await write('moving.pdf', makePdf({ pages: [['x']] }));
    const checked = await stat(file);
    const identity = { dev: checked.dev, ino: checked.ino, links: checked.nlink };
    const doc = await prepared({ path: file, identity });
    await doc.close();
    const changed = `${file} changed between its check and its upload (it was replaced, moved or linked meanwhile): refused.`;
    expect((await refusal({ path: file, identity: { ...identity, ino: identity.ino + 1 } })).message).toBe(changed);
    await link(file, `${file}.again`);
    expect((await refusal({ path: file, identity })).message).toBe(changed);
    await rm(`${file}.again`);
    await rename(file, `${file}.old`);
    await symlink(`${file}.old`, file);
    expect((await refusal({ path: file, identity })).message).toBe(changed);
  });

  it('refuses a path that is gone by the time it is read', async () => {
    const err = await refusal({ path: path.join(tmp, 'vanished.pdf') });
    expect(err.message).toBe(`File not found: ${path.join(tmp, 'vanished.pdf')}.`);
  });
});

describe('formatBytes', () => {
  it('writes sizes in binary units without false precision', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(1023)).toBe('1023 bytes');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MB');
    expect(formatBytes(7.25 * 1024 * 1024)).toBe('7.2 MB');
    expect(formatBytes(100 * 1024 * 1024 + 1)).toBe('100 MB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3 GB');
  });
});
