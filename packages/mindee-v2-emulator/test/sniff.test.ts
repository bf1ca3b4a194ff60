import { describe, expect, it } from 'vitest';
import { makeImageStub, makePdf, makePng, makeSampleInvoicePdf } from '../src/sample-documents.js';
import { sniffDocument } from '../src/sniff.js';

const bytes = (...parts: (string | number[] | Buffer)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

/** An ISO base media file whose ftyp box names `major` and the `compatible` brands. */
function isoMedia(major: string, compatible: string[]): Buffer {
  const size = 16 + 4 * compatible.length;
  const box = bytes([0, 0, 0, size], 'ftyp', major, [0, 0, 0, 0], compatible.join(''));
  return Buffer.concat([box, Buffer.alloc(64)]);
}

const PDF_BODY = '1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n';

describe('the emulator sniffer', () => {
  it('accepts each kind Mindee takes, by its signature', () => {
    const cases: [Buffer, string][] = [
      [makeSampleInvoicePdf(), 'application/pdf'],
      [makePdf({ pages: [[], []] }), 'application/pdf'],
      [makePng(), 'image/png'],
      [makeImageStub('jpeg'), 'image/jpeg'],
      [makeImageStub('webp'), 'image/webp'],
      [makeImageStub('tiff'), 'image/tiff'],
      [bytes('MM', [0, 0x2a], Buffer.alloc(32)), 'image/tiff'],
      [bytes('II', [0x2b, 0], Buffer.alloc(32)), 'image/tiff'],
      [makeImageStub('heic'), 'image/heic'],
      [isoMedia('mif1', ['heic']), 'image/heic'],
      [isoMedia('msf1', ['msf1', 'hevc']), 'image/heic'],
      // Readers take a header anywhere in the first KiB (after a mail or print-spooler preamble).
      [bytes('X-Spool: 1\r\n', `%PDF-1.7\n${PDF_BODY}`), 'application/pdf'],
    ];
    for (const [doc, mimeType] of cases) expect(sniffDocument(doc), mimeType).toMatchObject({ accepted: true, mimeType });
  });

  it('refuses programs and scripts whatever they carry, a PDF header included', () => {
    const pdf = `%PDF-1.4\n${PDF_BODY}`;
    const cases: [Buffer, string][] = [
      [bytes([0x7f], 'ELF', [2, 1, 1], Buffer.alloc(9), pdf), 'an ELF executable'],
      [bytes('MZ', [0x90, 0], pdf), 'a Windows executable'],
      [bytes([0xcf, 0xfa, 0xed, 0xfe], pdf), 'a macOS executable or Java class'],
      [bytes('#!/bin/sh\n', pdf), 'a script (it starts with #!)'],
      [bytes([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0], pdf), 'a WebAssembly module'],
    ];
    for (const [doc, looksLike] of cases) expect(sniffDocument(doc)).toEqual({ accepted: false, looksLike });
  });

  it('refuses other formats by their own signature even when they quote a PDF', () => {
    const pdf = `%PDF-1.4\n${PDF_BODY}`;
    const cases: [Buffer, string][] = [
      [bytes('<!DOCTYPE html><html><body><pre>', pdf, '</pre></body></html>'), 'an HTML page'],
      [bytes('PK', [3, 4, 20, 0], Buffer.alloc(24), 'doc.pdf', pdf), 'a ZIP archive'],
      [bytes('PK', [3, 4, 20, 0], Buffer.alloc(24), '[Content_Types].xml', Buffer.alloc(20)), 'an Office document (.docx, .xlsx or .pptx)'],
      [bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], Buffer.alloc(64)), 'a legacy Office document (.doc, .xls, .ppt or .msg)'],
      [bytes('{\\rtf1\\ansi ', pdf), 'an RTF document'],
      [bytes([0x1f, 0x8b, 8, 0], Buffer.alloc(16)), 'a gzip archive'],
      [bytes('%!PS-Adobe-3.0\n', pdf), 'a PostScript file'],
      [bytes('GIF89a', Buffer.alloc(16)), 'a GIF image'],
      [bytes('BM', [0x46, 0, 0, 0, 0, 0, 0, 0], Buffer.alloc(60)), 'a BMP image'],
      [isoMedia('avif', ['mif1', 'avif']), 'an AVIF image'],
      [isoMedia('isom', ['isom', 'mp41']), 'an ISO media file (brand "isom")'],
      [bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ', Buffer.alloc(16)), 'a RIFF file (WAVE), not WebP'],
      [bytes('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'), 'an SVG image'],
    ];
    for (const [doc, looksLike] of cases) expect(sniffDocument(doc), looksLike).toEqual({ accepted: false, looksLike });
  });

  it('asks a PDF to look like one: a header in the first KiB and the end-of-file marker in the last', () => {
    expect(sniffDocument(bytes('%PDF-'))).toMatchObject({ accepted: false, looksLike: 'a text file' });
    expect(sniffDocument(bytes('%PDF-1.4\n1 0 obj\n<< >>\nendobj\n'))).toEqual({
      accepted: false,
      looksLike: 'a PDF without its end-of-file marker (cut short, or not a PDF)',
    });
    const late = bytes(Buffer.alloc(2000, 0x20), `%PDF-1.4\n${PDF_BODY}`);
    expect(sniffDocument(late).accepted).toBe(false);
    const tailAfterEof = bytes(`%PDF-1.4\n${PDF_BODY}`, Buffer.alloc(2000, 0x20));
    expect(sniffDocument(tailAfterEof).accepted).toBe(false);
  });

  it('names text, and tells a BMP from text that starts with "BM"', () => {
    expect(sniffDocument(bytes('BMW service invoice, total 120 EUR\n'))).toEqual({ accepted: false, looksLike: 'a text file' });
    // UTF-8 cut inside a character by the sample's end, and Latin-1.
    expect(sniffDocument(Buffer.from('Grüße aus Köln\n'.repeat(10), 'utf8').subarray(0, 75))).toEqual({ accepted: false, looksLike: 'a text file' });
    expect(sniffDocument(Buffer.from('Rechnung für Müller GmbH, Straße 5\n', 'latin1'))).toEqual({ accepted: false, looksLike: 'a text file' });
    expect(sniffDocument(bytes('{"invoice": 1}'))).toEqual({ accepted: false, looksLike: 'a JSON or text file' });
    expect(sniffDocument(bytes([0xff, 0xfe], 'h\0i\0'))).toEqual({ accepted: false, looksLike: 'a text file (UTF-16)' });
    expect(sniffDocument(Buffer.from([0x00, 0x13, 0x88, 0x99, 0x01, 0x02]))).toEqual({ accepted: false, looksLike: 'an unrecognised binary file' });
    expect(sniffDocument(Buffer.alloc(0))).toEqual({ accepted: false, looksLike: 'an empty file' });
  });
});
