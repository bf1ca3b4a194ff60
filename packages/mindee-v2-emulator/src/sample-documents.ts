/**
 * Documents the project makes itself, for the demo, the tests and the benchmarks: real,
 * well-formed PDFs (readable by any viewer) and the smallest valid headers of each image type.
 */
import { deflateSync } from 'node:zlib';
import { ibanCheckDigits, printIban } from './facts.js';
import { Rng } from './rng.js';

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

/** A valid IBAN (mod 97) of the demo's supplier, as printed. */
export const SAMPLE_IBAN = 'GB33 BUKB 2020 1555 5555 55';

export interface SampleInvoiceOptions {
  /** Print the supplier's IBAN (the original sample has none). */
  iban?: boolean;
  plant?: PlantedError;
  confidence?: FinancialDocumentOptions['confidence'];
}

/**
 * The demo's sample: a one-page invoice with the text an invoice model looks for (net 229.00 +
 * VAT 45.80 = 274.80 GBP), plain or with one planted error (see `PLANTED_ERRORS`).
 */
export function makeSampleInvoicePdf(options: SampleInvoiceOptions = {}): Buffer {
  const plant = options.plant;
  // Each error moves the fewest printed numbers: the rest still agree with what is printed.
  const firstLine = plant === 'line_arithmetic' ? '96.00' : '86.00';
  const net = plant === 'line_arithmetic' || plant === 'lines_sum' ? '239.00' : '229.00';
  const vat = plant === 'wrong_tax' ? '54.80' : net === '239.00' ? '47.80' : '45.80';
  const total = plant === 'wrong_tax' ? '283.80' : net === '239.00' ? '286.80' : '274.80';
  const iban = plant === 'bad_iban' ? 'GB33 BUKB 2020 1555 5555 56' : options.iban ? SAMPLE_IBAN : null;
  const lines = [
    'INVOICE',
    'Invoice number: INV-2026-0042',
    'Date: 2026-11-02',
    `Due date: ${plant === 'due_before_issue' ? '2026-10-02' : '2026-12-02'}`,
    'Supplier: Acme Paper Supplies Ltd, 12 Harbour Road, Bristol BS1 5TY, United Kingdom',
    ...(iban ? [`IBAN: ${iban}`] : []),
    'Customer: Northwind Traders, 8 Rue de la Paix, 75002 Paris, France',
    '',
    'Description                 Qty   Unit price   Total',
    `A4 copy paper, 5 reams        4        21.50    ${firstLine}`,
    'Toner cartridge, black        2        64.00   128.00',
    'Delivery                      1        15.00    15.00',
    '',
    `Total net: ${net} GBP`,
    `VAT 20%: ${vat} GBP`,
    plant === 'missing_total' ? 'Total amount: illegible' : `Total amount: ${total} GBP`,
  ];
  if (options.confidence !== undefined) lines.push(`Emulator confidence: ${confidenceMarker(options.confidence)}`);
  return makePdf({ pages: [lines] });
}

/**
 * The errors a generated invoice or receipt can carry, one at a time, each a disagreement of its
 * printed facts that the emulator reads back as printed:
 * - `line_arithmetic`: one line's total is not its quantity × unit price (the lines still sum to the net);
 * - `lines_sum`: the net is not the sum of the lines (tax and total follow the printed net);
 * - `wrong_tax`: the tax is not the net × its rate (the total follows the printed tax);
 * - `bad_iban`: the supplier's IBAN fails its mod-97 checksum (one digit changed);
 * - `due_before_issue`: the due date is before the issue date;
 * - `missing_total`: the total amount is printed illegible, so it comes out null.
 */
export const PLANTED_ERRORS = ['line_arithmetic', 'lines_sum', 'wrong_tax', 'bad_iban', 'due_before_issue', 'missing_total'] as const;
export type PlantedError = (typeof PLANTED_ERRORS)[number];

/** The errors a receipt can carry (it has no unit prices, IBAN or due date). */
export const RECEIPT_PLANTED_ERRORS: readonly PlantedError[] = ['lines_sum', 'wrong_tax', 'missing_total'];

export interface FinancialDocumentOptions {
  /** Varies every drawn value; the same seed and options give the same bytes. */
  seed?: string | number;
  kind?: 'invoice' | 'receipt';
  /** Number of item lines (default 1–5, drawn; at most 500). */
  lines?: number;
  plant?: PlantedError;
  /**
   * Confidence levels the emulator gives this document's fields, printed as its
   * `Emulator confidence:` line: `'Low'` for every field, or levels by result path.
   */
  confidence?: 'Certain' | 'High' | 'Medium' | 'Low' | Record<string, 'Certain' | 'High' | 'Medium' | 'Low'>;
}

export interface FinancialDocument {
  pdf: Buffer;
  /** The printed lines of its one page. */
  text: string[];
  kind: 'invoice' | 'receipt';
  plant: PlantedError | null;
  /** What is printed, in the result's words (amounts in the currency's units). */
  printed: {
    number: string;
    date: string;
    due_date: string | null;
    currency: string;
    total_net: number;
    total_tax: number;
    total_amount: number | null;
    iban: string | null;
  };
}

const SAMPLE_LOCALES = [
  { country: 'United Kingdom', code: 'GB', currency: 'GBP', tax: 'VAT', rate: 20, city: 'Bristol BS1 5TY', street: 'Harbour Road' },
  { country: 'France', code: 'FR', currency: 'EUR', tax: 'TVA', rate: 20, city: '75002 Paris', street: 'Rue de la Paix' },
  { country: 'Germany', code: 'DE', currency: 'EUR', tax: 'MwSt', rate: 19, city: '10115 Berlin', street: 'Hauptstrasse' },
  { country: 'United States', code: 'US', currency: 'USD', tax: 'Sales tax', rate: 8.25, city: 'Austin, TX 78701', street: 'Oak Drive' },
] as const;
const SAMPLE_SUPPLIERS = ['Acme Paper Supplies Ltd', 'Kestrel Logistics', 'Maison Lumiere', 'Copperleaf Print Works', 'Atlas Courier Services'];
const SAMPLE_CUSTOMERS = ['Northwind Traders', 'Contoso Retail', 'Fabrikam Industries', 'Tailspin Toys'];
const SAMPLE_ITEMS = ['A4 copy paper, 5 reams', 'Toner cartridge, black', 'Delivery', 'Consulting, 1 hour', 'Desk lamp', 'USB-C cable, 2 m', 'Coffee beans, 1 kg'];

const cents = (c: number) => (c / 100).toFixed(2);

function shiftDate(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * An invoice or receipt whose printed facts agree (or, with `plant`, disagree in one planted
 * way), as a real one-page PDF the emulator reads. The demo, the tests and the bench's labelled
 * set are made with it.
 */
export function makeFinancialDocument(options: FinancialDocumentOptions = {}): FinancialDocument {
  const kind = options.kind ?? 'invoice';
  const plant = options.plant ?? null;
  if (plant && kind === 'receipt' && !RECEIPT_PLANTED_ERRORS.includes(plant)) {
    throw new Error(`a receipt cannot carry ${plant} (it has no unit prices, IBAN or due date): use an invoice`);
  }
  const rng = Rng.derive(String(options.seed ?? 0), 'financial-document', kind);
  const locale = rng.pick(SAMPLE_LOCALES);
  const receipt = kind === 'receipt';
  const date = shiftDate('2024-01-01', rng.int(0, 900));
  const number = receipt ? `R${rng.int(100_000, 999_999)}` : `INV-${date.slice(0, 4)}-${rng.int(1000, 9999)}`;
  const count = Math.min(500, Math.max(1, options.lines ?? rng.int(1, 5)));
  // A visible error: from 1.00 to 40.00 off, never lost in rounding.
  const delta = rng.int(100, 4000) * (rng.chance(0.5) ? 1 : -1);
  const wrongLine = rng.int(0, count - 1);
  const firstItem = rng.int(0, SAMPLE_ITEMS.length - 1);

  const itemLines: string[] = [];
  let netCents = 0;
  for (let i = 0; i < count; i++) {
    const description = count <= SAMPLE_ITEMS.length ? SAMPLE_ITEMS[(firstItem + i) % SAMPLE_ITEMS.length]! : `Item ${i + 1}`;
    const quantity = rng.int(1, 9);
    const unit = rng.int(150, 30_000);
    let total = quantity * unit;
    if (plant === 'line_arithmetic' && i === wrongLine) total = Math.max(1, total + Math.abs(delta));
    netCents += total;
    itemLines.push(`${description.padEnd(28)}${String(quantity).padStart(4)}${cents(unit).padStart(13)}${cents(total).padStart(10)}`);
  }
  const printedNet = plant === 'lines_sum' ? Math.max(1, netCents + delta) : netCents;
  const taxCents = Math.round((printedNet * locale.rate) / 100);
  const printedTax = plant === 'wrong_tax' ? Math.max(1, taxCents + Math.abs(delta)) : taxCents;
  const tipsCents = receipt && rng.chance(0.15) ? rng.int(100, 1500) : null;
  const totalCents = printedNet + printedTax + (tipsCents ?? 0);

  let iban: string | null = null;
  if (!receipt && locale.code !== 'US') {
    const bban = locale.code === 'GB' ? `WEST${rng.int(100000, 999999)}${rng.int(10_000_000, 99_999_999)}` : `${rng.int(10_000, 99_999)}${rng.int(10_000, 99_999)}${rng.int(1_000_000, 9_999_999)}${rng.int(1000, 9999)}${rng.int(10, 99)}`;
    let compact = `${locale.code}${ibanCheckDigits(locale.code, bban)}${bban}`;
    if (plant === 'bad_iban') {
      // One digit of the account changed: mod 97 catches every single substitution.
      const at = compact.length - 1 - rng.int(0, 5);
      const digit = Number(compact[at]);
      compact = `${compact.slice(0, at)}${(digit + rng.int(1, 9)) % 10}${compact.slice(at + 1)}`;
    }
    iban = printIban(compact);
  } else if (plant === 'bad_iban') {
    throw new Error('bad_iban needs an invoice from a country with IBANs; this seed drew the United States');
  }
  const dueDate = receipt ? null : plant === 'due_before_issue' ? shiftDate(date, -rng.int(1, 60)) : shiftDate(date, 30);

  const text = [
    receipt ? 'RECEIPT' : 'INVOICE',
    `${receipt ? 'Receipt' : 'Invoice'} number: ${number}`,
    `Date: ${date}`,
    ...(dueDate ? [`Due date: ${dueDate}`] : []),
    `Supplier: ${rng.pick(SAMPLE_SUPPLIERS)}, ${rng.int(1, 200)} ${locale.street}, ${locale.city}, ${locale.country}`,
    ...(iban ? [`IBAN: ${iban}`] : []),
    `Customer: ${rng.pick(SAMPLE_CUSTOMERS)}, ${rng.int(1, 200)} ${locale.street}, ${locale.city}, ${locale.country}`,
    '',
    `${'Description'.padEnd(28)}${'Qty'.padStart(4)}${'Unit price'.padStart(13)}${'Total'.padStart(10)}`,
    ...itemLines,
    '',
    `Total net: ${cents(printedNet)} ${locale.currency}`,
    `${locale.tax} ${locale.rate}%: ${cents(printedTax)} ${locale.currency}`,
    ...(tipsCents === null ? [] : [`Tips: ${cents(tipsCents)} ${locale.currency}`]),
    plant === 'missing_total' ? 'Total amount: illegible' : `Total amount: ${cents(totalCents)} ${locale.currency}`,
  ];
  if (options.confidence !== undefined) text.push(`Emulator confidence: ${confidenceMarker(options.confidence)}`);
  // A long invoice runs over several pages, 50 lines a page.
  const pages: string[][] = [];
  for (let i = 0; i < text.length; i += 50) pages.push(text.slice(i, i + 50));
  return {
    pdf: makePdf({ pages }),
    text,
    kind,
    plant,
    printed: {
      number,
      date,
      due_date: dueDate,
      currency: locale.currency,
      total_net: printedNet / 100,
      total_tax: printedTax / 100,
      total_amount: plant === 'missing_total' ? null : totalCents / 100,
      iban,
    },
  };
}

function confidenceMarker(confidence: NonNullable<FinancialDocumentOptions['confidence']>): string {
  return typeof confidence === 'string'
    ? confidence
    : Object.entries(confidence)
        .map(([path, level]) => `${path}=${level}`)
        .join(', ');
}

/** The demo's invoice that every check passes: its lines, taxes, dates and IBAN agree. */
export function makeAcceptedInvoicePdf(): Buffer {
  return makeSampleInvoicePdf({ iban: true });
}

/** The demo's invoice with one planted error (default: lines that do not add up to the net). */
export function makeDisagreeingInvoicePdf(plant: PlantedError = 'lines_sum'): Buffer {
  return makeSampleInvoicePdf({ iban: true, plant });
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
