import { describe, expect, it } from 'vitest';
import { bufferSource, isEncryptEntry, PDF_SCAN_CHUNK_BYTES, scanPdfForEncryption } from '../../src/client/pdf-encryption.js';
import { makePdf, makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { encryptedPdfWithMarkerAt, xrefStreamPdf } from './pdf-fixtures.js';

const scan = (bytes: Uint8Array, chunkBytes?: number) => scanPdfForEncryption(bufferSource(bytes), chunkBytes ? { chunkBytes } : {});

describe('scanPdfForEncryption', () => {
  it('finds /Encrypt in a trailer and in a cross-reference stream dictionary', async () => {
    const locked = makePdf({ pages: [['x']], encrypted: true });
    expect(await scan(locked)).toMatchObject({ encrypted: true, offset: locked.lastIndexOf('/Encrypt') });
    expect((await scan(xrefStreamPdf({ encrypted: true }))).encrypted).toBe(true);
    expect((await scan(xrefStreamPdf({ encrypted: false }))).encrypted).toBe(false);
    expect((await scan(makeSampleInvoicePdf())).encrypted).toBe(false);
  });

  it('finds the marker wherever the chunk boundaries fall, including between the name and the byte after it', async () => {
    const locked = makePdf({ pages: [['x']], encrypted: true });
    const at = locked.lastIndexOf('/Encrypt');
    for (let chunkBytes = 9; chunkBytes <= 80; chunkBytes++) {
      const result = await scan(locked, chunkBytes);
      expect(result, `chunk of ${chunkBytes} bytes`).toMatchObject({ encrypted: true, offset: at });
    }
    // Every split of the 8-byte name plus its delimiter across the first boundary:
    for (let split = 1; split <= 8; split++) {
      expect((await scan(locked, at + split)).encrypted, `boundary ${split} bytes into the marker`).toBe(true);
    }
  });

  it('finds a marker straddling the default chunk boundary', async () => {
    const pdf = encryptedPdfWithMarkerAt(PDF_SCAN_CHUNK_BYTES - 3);
    const result = await scan(pdf);
    expect(result).toMatchObject({ encrypted: true, offset: PDF_SCAN_CHUNK_BYTES - 3 });
    expect(result.reads).toBeGreaterThanOrEqual(2);
  });

  it('reads a large document in chunks of a fixed size', async () => {
    const big = Buffer.alloc(20 * PDF_SCAN_CHUNK_BYTES + 123);
    makePdf({ pages: [['x']] }).copy(big);
    const result = await scan(big);
    expect(result).toEqual({ encrypted: false, offset: null, pageObjects: expect.any(Number), bytesScanned: big.length, reads: 21, largestReadBytes: PDF_SCAN_CHUNK_BYTES });
  });

  it('ignores /Encrypt that is page text, metadata or a longer name', async () => {
    expect((await scan(makePdf({ pages: [['/Encrypt 5 0 R'], ['trailer << /Encrypt 5 0 R >>']] }))).encrypted).toBe(false);
    const info = Buffer.from('%PDF-1.4\n7 0 obj\n<< /Title (/Encrypt 3 0 R) /Producer (x) >>\nendobj\n', 'latin1');
    expect((await scan(info)).encrypted).toBe(false);
    const metadata = Buffer.from('%PDF-1.4\ntrailer\n<< /Size 3 /EncryptMetadata false >>\n%%EOF\n', 'latin1');
    expect((await scan(metadata)).encrypted).toBe(false);
  });

  it('ignores escaped names that only look like /Encrypt, and escapes inside page text', async () => {
    const locked = makePdf({ pages: [['x']], encrypted: true }).toString('latin1');
    const rewritten = (name: string) => Buffer.from(locked.replace(/\/Encrypt (\d+ 0 R)/, (_, ref: string) => `${name} ${ref}`), 'latin1');
    expect((await scan(rewritten('/Encr#79ptMetadata'))).encrypted).toBe(false);
    expect((await scan(rewritten('/Encrypt#20'))).encrypted).toBe(false);
    expect((await scan(makePdf({ pages: [['trailer << /Encr#79pt 5 0 R >>']] }))).encrypted).toBe(false);
  });

  it('accepts a direct encryption dictionary as the value', () => {
    const text = Buffer.from('trailer\n<< /Size 3 /Encrypt << /Filter /Standard >> >>', 'latin1');
    expect(isEncryptEntry(text, text.indexOf('/Encrypt'))).toBe(true);
    const name = Buffer.from('trailer\n<< /Size 3 /Encrypt /Standard >>', 'latin1');
    expect(isEncryptEntry(name, name.indexOf('/Encrypt'))).toBe(false);
  });
});

describe('page count', () => {
  it('counts page objects across chunk boundaries, once each, and not the page tree', async () => {
    const { makePdf } = await import('mindee-v2-emulator/samples');
    const pdf = makePdf({ pages: Array.from({ length: 37 }, (_, i) => [`page ${i + 1}`]) });
    for (const chunkBytes of [9, 17, 64, 1000, 1 << 20]) {
      const scan = await scanPdfForEncryption(bufferSource(pdf), { chunkBytes });
      expect(scan.pageObjects, `chunk ${chunkBytes}`).toBe(37);
    }
  });
});
