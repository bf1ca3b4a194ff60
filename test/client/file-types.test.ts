import { describe, expect, it } from 'vitest';
import { describeUnsupported, sniffFileType } from '../../src/client/file-types.js';
import { makeImageStub, makePdf, makePng, makeSampleInvoicePdf } from '../../src/emulator/sample-documents.js';

const sniff = (b: Buffer) => sniffFileType(b.subarray(0, 1024), b.subarray(-1024));

describe('sniffFileType', () => {
  it('recognises every type Mindee accepts from its bytes', () => {
    expect(sniff(makeSampleInvoicePdf())?.mimeType).toBe('application/pdf');
    expect(sniff(makePng())?.mimeType).toBe('image/png');
    expect(sniff(makeImageStub('jpeg'))?.mimeType).toBe('image/jpeg');
    expect(sniff(makeImageStub('webp'))?.mimeType).toBe('image/webp');
    expect(sniff(makeImageStub('tiff'))?.mimeType).toBe('image/tiff');
    expect(sniff(makeImageStub('heic'))?.mimeType).toBe('image/heic');
  });

  it('accepts a PDF whose header is missing but whose body and trailer are a PDF', () => {
    const pdf = makePdf({ pages: [['x']] });
    const headerless = pdf.subarray(pdf.indexOf('1 0 obj'));
    expect(sniff(headerless)?.kind).toBe('pdf');
  });

  it('refuses text, executables and archives, naming what they are', () => {
    const text = Buffer.from('%PDX not a pdf, just words\n'.repeat(10));
    expect(sniff(text)).toBeNull();
    expect(describeUnsupported(text)).toBe('a text file');
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]);
    expect(sniff(exe)).toBeNull();
    expect(describeUnsupported(exe)).toBe('a Windows executable');
    expect(describeUnsupported(Buffer.from('PK\x03\x04rest', 'latin1'))).toMatch(/ZIP/);
    expect(describeUnsupported(Buffer.alloc(0))).toBe('an empty file');
  });
});

describe('makePdf', () => {
  it('writes a cross-reference table whose offsets point at each object', () => {
    const pdf = makePdf({ pages: [['one'], ['two'], []] });
    const text = pdf.toString('latin1');
    const xrefAt = Number(/startxref\n(\d+)/.exec(text)![1]);
    expect(text.slice(xrefAt, xrefAt + 4)).toBe('xref');
    const entries = text.slice(xrefAt).split('\n').slice(3).filter((l) => / n $/.test(l));
    entries.forEach((line, i) => {
      const offset = Number(line.slice(0, 10));
      expect(text.slice(offset, offset + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`);
    });
    expect(text.match(/\/Type \/Page\b(?!s)/g)).toHaveLength(3);
  });

  it('marks an encrypted PDF in its trailer', () => {
    expect(makePdf({ pages: [['x']], encrypted: true }).toString('latin1')).toMatch(/trailer\n<<[^>]*\/Encrypt \d+ 0 R/);
  });
});
