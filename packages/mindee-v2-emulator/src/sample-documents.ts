/**
 * Documents the project makes itself, for the demo, the tests and the benchmarks: real,
 * well-formed PDFs (readable by any viewer) and the smallest valid headers of each image type.
 */
import { deflateSync } from 'node:zlib';

export interface PdfOptions {
  /** Text lines of each page; a page with no lines is blank. */
  pages: string[][];
  /** Adds an /Encrypt entry to the trailer, as a password-protected PDF has. */
  encrypted?: boolean;
}

function escapePdfText(s: string): string {
  return s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?');
}

/** A PDF with one Helvetica text line per entry, top to bottom, uncompressed so its text is readable. */
export function makePdf(options: PdfOptions): Buffer {
  const pageCount = Math.max(1, options.pages.length);
  const objects: string[] = [];
  // 1: catalog, 2: pages, 3: font, then for each page: page object + content stream.
  const kids: string[] = [];
  for (let i = 0; i < pageCount; i++) kids.push(`${4 + i * 2} 0 R`);
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pageCount} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  for (let i = 0; i < pageCount; i++) {
    const lines = options.pages[i] ?? [];
    const ops = ['BT', '/F1 12 Tf', '14 TL', '56 786 Td'];
    for (const line of lines) ops.push(`(${escapePdfText(line)}) Tj T*`);
    ops.push('ET');
    const stream = ops.join('\n');
    objects[4 + i * 2] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + i * 2} 0 R >>`;
    objects[5 + i * 2] = `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`;
  }
  let encryptRef = '';
  if (options.encrypted) {
    const n = objects.length;
    objects[n] = '<< /Filter /Standard /V 2 /R 3 /Length 128 /P -1028 /O <00> /U <00> >>';
    encryptRef = ` /Encrypt ${n} 0 R /ID [<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>]`;
  }
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  for (let n = 1; n < objects.length; n++) {
    offsets[n] = Buffer.byteLength(body, 'latin1');
    body += `${n} 0 obj\n${objects[n]}\nendobj\n`;
  }
  const xrefAt = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let n = 1; n < objects.length; n++) body += `${String(offsets[n]).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R${encryptRef} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** The demo's sample: a one-page invoice with the text an invoice model looks for. */
export function makeSampleInvoicePdf(): Buffer {
  return makePdf({
    pages: [
      [
        'INVOICE',
        'Invoice number: INV-2026-0042',
        'Date: 2026-11-02',
        'Due date: 2026-12-02',
        'Supplier: Acme Paper Supplies Ltd, 12 Harbour Road, Bristol BS1 5TY, United Kingdom',
        'Customer: Northwind Traders, 8 Rue de la Paix, 75002 Paris, France',
        '',
        'Description                 Qty   Unit price   Total',
        'A4 copy paper, 5 reams        4        21.50    86.00',
        'Toner cartridge, black        2        64.00   128.00',
        'Delivery                      1        15.00    15.00',
        '',
        'Total net: 229.00 GBP',
        'VAT 20%: 45.80 GBP',
        'Total amount: 274.80 GBP',
      ],
    ],
  });
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A valid white PNG of the given size. */
export function makePng(width = 8, height = 8): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0xff)]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * The leading bytes of each image type Mindee accepts, padded to `size`: enough for type
 * sniffing (the emulator's and the client's), not for decoding.
 */
export function makeImageStub(kind: 'jpeg' | 'webp' | 'tiff' | 'heic', size = 256): Buffer {
  const head: Record<typeof kind, Buffer> = {
    jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]),
    webp: Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.from([0, 0, 0, 0]), Buffer.from('WEBPVP8 ', 'latin1')]),
    tiff: Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]),
    heic: Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1')]),
  };
  const out = Buffer.alloc(Math.max(size, head[kind].length));
  head[kind].copy(out);
  return out;
}
