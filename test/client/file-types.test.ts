import { describe, expect, it } from 'vitest';
import { describeUnsupported, kindFromFilename, sniffFileType } from '../../src/client/file-types.js';
import { makeImageStub, makePdf, makePng, makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';

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

  it('accepts a PDF with a few stray bytes before its header, and names one cut short', () => {
    const pdf = makePdf({ pages: [['x']] });
    expect(sniff(Buffer.concat([Buffer.from('\r\n\r\n'), pdf]))?.kind).toBe('pdf');
    const cut = pdf.subarray(0, pdf.indexOf('trailer'));
    expect(sniff(cut)).toBeNull();
    expect(describeUnsupported(cut.subarray(0, 1024), cut.subarray(-1024))).toBe('a PDF but is cut short or damaged');
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

describe('describeUnsupported and kindFromFilename', () => {
  it('names common non-documents', () => {
    const b = (s: string) => Buffer.from(s, 'latin1');
    expect(describeUnsupported(b('\xcf\xfa\xed\xfe\x07\x00\x00\x01'))).toBe('a macOS (Mach-O) executable');
    expect(describeUnsupported(b('#!/bin/sh\nrm -rf /\n'))).toBe('a script (it starts with #!)');
    expect(describeUnsupported(b('  <!doctype html><title>Login</title>'))).toBe('an HTML page');
    expect(describeUnsupported(b('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('an SVG image');
    expect(describeUnsupported(b('<?xml version="1.0"?><Invoice/>'))).toBe('an XML file');
    expect(describeUnsupported(b('{\\rtf1\\ansi hello}'))).toBe('an RTF document');
    expect(describeUnsupported(b('\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00'))).toMatch(/legacy Microsoft Office/);
    expect(describeUnsupported(Buffer.from('Café crème, 12,50 €\n'.repeat(20)))).toBe('a text file');
    expect(describeUnsupported(Buffer.from(Array.from({ length: 512 }, (_, i) => 0x80 + (i % 0x7f))))).toBe('an unrecognised binary file');
  });

  it('reads the type a file name claims', () => {
    expect(kindFromFilename('scan.PDF')).toBe('pdf');
    expect(kindFromFilename('photo.jpeg')).toBe('jpeg');
    expect(kindFromFilename('fax.tif')).toBe('tiff');
    expect(kindFromFilename('notes.txt')).toBeNull();
    expect(kindFromFilename('README')).toBeNull();
  });
});
