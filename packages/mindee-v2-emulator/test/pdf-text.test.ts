import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { digestUpload, digestUrl } from '../src/document.js';
import { readFacts } from '../src/facts.js';
import { analysePdf, textOfContentStream } from '../src/pdf-text.js';
import { makePdf, makePng, makeSampleInvoicePdf } from '../src/sample-documents.js';

describe('analysePdf', () => {
  it('counts /Type /Page objects, not the /Pages tree, and reads each page text in order', () => {
    const info = analysePdf(makePdf({ pages: [['first (page)', 'a \\ b'], [], ['third']] }));
    expect(info.pageCount).toBe(3);
    expect(info.encrypted).toBe(false);
    expect(info.pageTexts).toEqual(['first (page)\na \\ b', '', 'third']);
  });

  it('notices /Encrypt', () => {
    expect(analysePdf(makePdf({ pages: [['x']], encrypted: true })).encrypted).toBe(true);
  });

  it('reads Flate-compressed content streams and TJ arrays', () => {
    const stream = deflateSync(Buffer.from('BT /F1 12 Tf 10 700 Td [(Hel) 20 (lo) -400 (world)] TJ 0 -14 Td <4869> Tj ET', 'latin1'));
    const pdf = Buffer.concat([
      Buffer.from('%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n'),
      Buffer.from('3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n'),
      Buffer.from(`4 0 obj\n<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`),
      stream,
      Buffer.from('\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'),
    ]);
    expect(analysePdf(pdf).pageTexts).toEqual(['Hello world\nHi']);
  });

  it('decodes escapes in literal strings', () => {
    expect(textOfContentStream('BT (a\\(b\\)c \\101\\n) Tj ET')).toBe('a(b)c A\n');
  });
});

describe('digests', () => {
  it('keep the hash, type, pages and text, not the bytes', () => {
    const outcome = digestUpload(makeSampleInvoicePdf(), '#/file');
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(Object.keys(outcome.digest).sort()).toEqual(['byteLength', 'kind', 'mimeType', 'pageCount', 'pageTexts', 'sha256']);
    expect(outcome.digest.pageTexts?.[0]).toContain('Invoice number: INV-2026-0042');
    const png = digestUpload(makePng(), '#/file');
    expect(png.ok && png.digest).toMatchObject({ kind: 'png', mimeType: 'image/png', pageCount: 1, pageTexts: null });
  });

  it('simulate a URL document from the URL alone', () => {
    expect(digestUrl(new URL('https://example.com/a/photo.JPG'))).toMatchObject({ kind: 'jpeg', mimeType: 'image/jpeg', pageCount: 1 });
    const pdf = digestUrl(new URL('https://example.com/doc'));
    expect(pdf.kind).toBe('pdf');
    expect(digestUrl(new URL('https://example.com/doc'))).toEqual(pdf);
  });
});

describe('readFacts', () => {
  it('reads dates in day/month/year order and keeps totals consistent when only items are given', () => {
    const { facts } = readFacts('seed', [
      ['Invoice no: 77', 'Date: 3/4/2025', 'Widget                      2   10.00   20.00', 'Gadget  1  5.50  5.50'].join('\n'),
    ]);
    expect(facts.invoiceNumber).toBe('77');
    expect(facts.date).toBe('2025-04-03');
    expect(facts.lineItems.map((i) => i.description)).toEqual(['Widget', 'Gadget']);
    expect(facts.totalNet).toBe(25.5);
    expect(Math.round(facts.totalAmount! * 100)).toBe(Math.round((facts.totalNet + facts.totalTax) * 100));
  });
});

describe('robustness', () => {
  it('reads pathological text (a backtracking pattern would outlive the test time-out)', () => {
    const line = `a${' '.repeat(200_000)}1 ${' '.repeat(200_000)}x`;
    const { facts } = readFacts('seed', [`${line}\n${'9 '.repeat(100_000)}`]);
    expect(facts.invoiceNumber).toEqual(expect.any(String));
  });

  it('does not choke on garbage that claims to be a PDF', () => {
    const junk = Buffer.concat([Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Page /Contents 2 0 R >>\nendobj\n2 0 obj\n<< /Length 5 >>\nstream\n(((([[[<<<'), Buffer.alloc(5000, 0xff)]);
    const info = analysePdf(junk);
    expect(info.pageCount).toBe(1);
    expect(info.pageTexts).toHaveLength(1);
  });
});
