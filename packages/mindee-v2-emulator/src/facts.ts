/**
 * What a document "says", for the simulated models: read from its text when it has some
 * (`Invoice number: X`, `Date: …`, item rows, totals), otherwise drawn from its SHA-256. Drawn
 * facts are rendered back into text, so a document's fields, raw text and OCR always agree.
 */
import { PURCHASE_CATEGORIES } from './models.js';
import { Rng, round } from './rng.js';

export interface Address {
  complete: string;
  streetNumber: string | null;
  streetName: string | null;
  postalCode: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  countryCode: string | null;
}

export interface Party {
  name: string;
  address: Address;
  registrations: { type: string; number: string }[];
  phone: string | null;
  email: string | null;
}

interface LineItem {
  description: string;
  productCode: string | null;
  quantity: number;
  unitPrice: number;
  totalPrice: number;
  taxRate: number | null;
  unitMeasure: string | null;
}

interface PaymentDetails {
  /** As printed (Mindee keeps the spaces). */
  iban: string | null;
  swift: string | null;
}

interface TaxLine {
  /** A fraction, as in Mindee's responses (0.2 for 20 %). */
  rate: number;
  base: number;
  amount: number;
}

export interface InvoiceFacts {
  documentType: string;
  invoiceNumber: string;
  date: string;
  dueDate: string | null;
  time: string | null;
  poNumber: string | null;
  supplier: Party;
  customer: Party;
  supplierPaymentDetails: PaymentDetails[];
  currency: string;
  language: string;
  country: string | null;
  lineItems: LineItem[];
  taxes: TaxLine[];
  totalNet: number;
  totalTax: number;
  /** Null when the document prints a total that cannot be read (`Total amount: illegible`). */
  totalAmount: number | null;
  tips: number | null;
  purchaseCategory: string;
  paymentMethod: string;
}

/** Where a value was read: page, line (0-based) and characters of that line. */
export interface Source {
  page: number;
  line: number;
  column: number;
  length: number;
}

type ConfidenceLevel = 'Certain' | 'High' | 'Medium' | 'Low';

/**
 * Confidence levels forced on fields, by result path (`total_amount`, `line_items.1.quantity`; a
 * path covers the fields below it; `*` covers every field).
 */
export type ConfidenceOverrides = Map<string, ConfidenceLevel>;

/** Facts plus, keyed by dotted path ("supplier.name", "lineItems.1.quantity"), where each was read. */
export interface ReadFacts {
  facts: InvoiceFacts;
  sources: Map<string, Source>;
  /** From the document's `Emulator confidence:` line, if it has one. */
  confidence: ConfidenceOverrides;
}

interface LocaleInfo {
  code: string;
  name: string;
  currency: string;
  language: string;
  taxName: string;
  taxRate: number;
  cities: [city: string, postal: string, state: string | null][];
  streets: string[];
}

const LOCALES: LocaleInfo[] = [
  {
    code: 'GB',
    name: 'United Kingdom',
    currency: 'GBP',
    language: 'en',
    taxName: 'VAT',
    taxRate: 0.2,
    cities: [
      ['Bristol', 'BS1 4DJ', null],
      ['Leeds', 'LS1 5AB', null],
      ['London', 'EC1A 1BB', null],
    ],
    streets: ['Harbour Road', 'Mill Lane', 'Station Street', 'Kingsway'],
  },
  {
    code: 'FR',
    name: 'France',
    currency: 'EUR',
    language: 'fr',
    taxName: 'TVA',
    taxRate: 0.2,
    cities: [
      ['Paris', '75002', null],
      ['Lyon', '69003', null],
      ['Nantes', '44000', null],
    ],
    streets: ['Rue de la Paix', 'Avenue Jean Jaures', 'Boulevard Voltaire'],
  },
  {
    code: 'DE',
    name: 'Germany',
    currency: 'EUR',
    language: 'de',
    taxName: 'MwSt',
    taxRate: 0.19,
    cities: [
      ['Berlin', '10115', null],
      ['Hamburg', '20095', null],
    ],
    streets: ['Hauptstrasse', 'Bahnhofstrasse', 'Gartenweg'],
  },
  {
    code: 'US',
    name: 'United States',
    currency: 'USD',
    language: 'en',
    taxName: 'Sales tax',
    taxRate: 0.0825,
    cities: [
      ['Austin', '78701', 'TX'],
      ['Albany', '12210', 'NY'],
      ['Portland', '97205', 'OR'],
    ],
    streets: ['Oak Drive', 'Wood Road', 'Main Street', 'Elm Avenue'],
  },
];

const COUNTRY_CODES: Record<string, string> = {
  'united kingdom': 'GB',
  uk: 'GB',
  'great britain': 'GB',
  england: 'GB',
  france: 'FR',
  germany: 'DE',
  deutschland: 'DE',
  'united states': 'US',
  usa: 'US',
  us: 'US',
  spain: 'ES',
  italy: 'IT',
  belgium: 'BE',
  netherlands: 'NL',
  switzerland: 'CH',
  canada: 'CA',
  ireland: 'IE',
  portugal: 'PT',
  luxembourg: 'LU',
  australia: 'AU',
};

const CURRENCY_OF: Record<string, string> = { GB: 'GBP', FR: 'EUR', DE: 'EUR', ES: 'EUR', IT: 'EUR', BE: 'EUR', NL: 'EUR', IE: 'EUR', PT: 'EUR', LU: 'EUR', US: 'USD', CA: 'CAD', CH: 'CHF', AU: 'AUD' };

const SUPPLIERS = [
  'Harbourside Stationers Ltd',
  'Blue Fern Office Supply',
  'Kestrel Logistics',
  'Maison Lumiere',
  'Northgate Hardware Co.',
  'Orchid Catering Services',
  'Copperleaf Print Works',
  'Atlas Courier Services',
];
const CUSTOMERS = ['Northwind Traders', 'Contoso Retail', 'Fabrikam Industries', 'Tailspin Toys', 'Wide World Importers', 'Adventure Works Cycles'];
const ITEMS = [
  'A4 copy paper, 5 reams',
  'Toner cartridge, black',
  'Delivery',
  'Consulting, 1 hour',
  'Desk lamp',
  'USB-C cable, 2 m',
  'Printer maintenance',
  'Coffee beans, 1 kg',
  'Shipping and handling',
  'Software licence, annual',
];
const PAYMENT_METHODS = ['card', 'bank_transfer', 'cash'];

const toCents = (n: number) => Math.round(n * 100);
const fromCents = (c: number) => c / 100;

function isoDate(rng: Rng): string {
  const start = Date.UTC(2023, 0, 1);
  return new Date(start + rng.int(0, 3 * 365) * 86_400_000).toISOString().slice(0, 10);
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function digits(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
}

/** The IBAN check digits (ISO 13616, mod 97) of a country code and a basic bank account number. */
export function ibanCheckDigits(country: string, bban: string): string {
  const digitsOf = (x: string) => x.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rest = 0;
  for (const d of digitsOf(`${bban}${country}00`)) rest = (rest * 10 + Number(d)) % 97;
  return String(98 - rest).padStart(2, '0');
}

/** Groups of four, as IBANs are printed. */
export function printIban(compact: string): string {
  return compact.replace(/(.{4})(?=.)/g, '$1 ');
}

function ibanFor(rng: Rng, countryCode: string | null): string | null {
  let bban: string;
  switch (countryCode) {
    case 'GB':
      bban = `${rng.pick(['WEST', 'NWBK', 'BARC', 'LOYD'])}${digits(rng, 14)}`;
      break;
    case 'FR':
      bban = digits(rng, 23);
      break;
    case 'DE':
      bban = digits(rng, 18);
      break;
    default:
      return null;
  }
  return printIban(`${countryCode}${ibanCheckDigits(countryCode, bban)}${bban}`);
}

function registrationsFor(rng: Rng, countryCode: string | null): { type: string; number: string }[] {
  switch (countryCode) {
    case 'GB':
      return [{ type: 'VAT', number: `GB${digits(rng, 9)}` }];
    case 'FR':
      return [
        { type: 'VAT', number: `FR${digits(rng, 11)}` },
        { type: 'SIRET', number: digits(rng, 14) },
      ];
    case 'DE':
      return [{ type: 'VAT', number: `DE${digits(rng, 9)}` }];
    case 'US':
      return [{ type: 'EIN', number: `${digits(rng, 2)}-${digits(rng, 7)}` }];
    default:
      return [];
  }
}

function formatAddress(locale: LocaleInfo, streetNumber: string, street: string, city: [string, string, string | null]): string {
  const [name, postal, state] = city;
  if (locale.code === 'GB') return `${streetNumber} ${street}, ${name} ${postal}, ${locale.name}`;
  if (locale.code === 'US') return `${streetNumber} ${street}, ${name}, ${state ?? ''} ${postal}, ${locale.name}`;
  return `${streetNumber} ${street}, ${postal} ${name}, ${locale.name}`;
}

function drawParty(rng: Rng, names: readonly string[], locale: LocaleInfo): Party {
  const streetNumber = String(rng.int(1, 240));
  const street = rng.pick(locale.streets);
  const city = rng.pick(locale.cities);
  return {
    name: rng.pick(names),
    address: {
      complete: formatAddress(locale, streetNumber, street, city),
      streetNumber,
      streetName: street,
      postalCode: city[1],
      city: city[0],
      state: city[2],
      country: locale.name,
      countryCode: locale.code,
    },
    registrations: registrationsFor(rng, locale.code),
    phone: `+${rng.int(1, 49)} ${digits(rng, 3)} ${digits(rng, 3)} ${digits(rng, 4)}`,
    email: null,
  };
}

/** Facts drawn from a seed (the document's SHA-256): an invoice whose amounts add up. */
export function drawFacts(seed: string): InvoiceFacts {
  const rng = Rng.derive(seed, 'facts');
  const locale = rng.pick(LOCALES);
  const customerLocale = rng.chance(0.7) ? locale : rng.pick(LOCALES);
  const documentType = rng.chance(0.75) ? 'invoice' : 'receipt';
  const date = isoDate(rng);
  const count = rng.int(1, 5);
  const items: LineItem[] = [];
  const used = new Set<string>();
  for (let i = 0; i < count; i++) {
    let description = rng.pick(ITEMS);
    while (used.has(description)) description = rng.pick(ITEMS);
    used.add(description);
    const quantity = rng.int(1, 10);
    const unitCents = rng.int(150, 50_000);
    items.push({
      description,
      productCode: rng.chance(0.5) ? `SKU-${digits(rng, 5)}` : null,
      quantity,
      unitPrice: fromCents(unitCents),
      totalPrice: fromCents(unitCents * quantity),
      taxRate: locale.taxRate,
      unitMeasure: null,
    });
  }
  const netCents = items.reduce((s, it) => s + toCents(it.totalPrice), 0);
  const taxCents = Math.round(netCents * locale.taxRate);
  const iban = documentType === 'invoice' ? ibanFor(rng, locale.code) : null;
  const tipsCents = documentType === 'receipt' && rng.chance(0.4) ? rng.int(100, 1500) : null;
  return {
    documentType,
    invoiceNumber: documentType === 'invoice' ? `INV-${date.slice(0, 4)}-${digits(rng, 4)}` : `R${digits(rng, 6)}`,
    date,
    dueDate: documentType === 'invoice' ? addDays(date, 30) : null,
    time: documentType === 'receipt' ? `${String(rng.int(8, 21)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}` : null,
    poNumber: documentType === 'invoice' && rng.chance(0.5) ? `PO-${digits(rng, 6)}` : null,
    supplier: drawParty(rng, SUPPLIERS, locale),
    customer: drawParty(rng, CUSTOMERS, customerLocale),
    supplierPaymentDetails: iban ? [{ iban, swift: null }] : [],
    currency: locale.currency,
    language: locale.language,
    country: locale.code,
    lineItems: items,
    taxes: [{ rate: locale.taxRate, base: fromCents(netCents), amount: fromCents(taxCents) }],
    totalNet: fromCents(netCents),
    totalTax: fromCents(taxCents),
    totalAmount: fromCents(netCents + taxCents + (tipsCents ?? 0)),
    tips: tipsCents === null ? null : fromCents(tipsCents),
    purchaseCategory: rng.pick(PURCHASE_CATEGORIES),
    paymentMethod: rng.pick(PAYMENT_METHODS),
  };
}

function money(n: number): string {
  return n.toFixed(2);
}

function taxNameFor(country: string | null): string {
  return LOCALES.find((l) => l.code === country)?.taxName ?? 'Tax';
}

/** The text of a drawn document, one string per page, in the format `readFacts` understands. */
export function renderFacts(facts: InvoiceFacts, pageCount: number): string[] {
  const receipt = facts.documentType === 'receipt';
  const lines = [
    receipt ? 'RECEIPT' : 'INVOICE',
    `${receipt ? 'Receipt' : 'Invoice'} number: ${facts.invoiceNumber}`,
    `Date: ${facts.date}`,
  ];
  if (facts.time) lines.push(`Time: ${facts.time}`);
  if (facts.dueDate) lines.push(`Due date: ${facts.dueDate}`);
  if (facts.poNumber) lines.push(`PO number: ${facts.poNumber}`);
  lines.push(`Supplier: ${facts.supplier.name}, ${facts.supplier.address.complete}`);
  if (facts.supplier.phone) lines.push(`Phone: ${facts.supplier.phone}`);
  for (const r of facts.supplier.registrations) lines.push(`${r.type}: ${r.number}`);
  for (const p of facts.supplierPaymentDetails) {
    if (p.iban) lines.push(`IBAN: ${p.iban}`);
    if (p.swift) lines.push(`SWIFT: ${p.swift}`);
  }
  lines.push(`Customer: ${facts.customer.name}, ${facts.customer.address.complete}`, '');
  lines.push(`${'Description'.padEnd(28)}${'Qty'.padStart(4)}${'Unit price'.padStart(13)}${'Total'.padStart(10)}`);
  for (const it of facts.lineItems) {
    lines.push(
      `${it.description.padEnd(Math.max(28, it.description.length + 2))}${String(it.quantity).padStart(4)}${money(it.unitPrice).padStart(13)}${money(it.totalPrice).padStart(10)}`,
    );
  }
  lines.push('', `Total net: ${money(facts.totalNet)} ${facts.currency}`);
  for (const t of facts.taxes) {
    lines.push(`${taxNameFor(facts.country)} ${round(t.rate * 100, 2)}%: ${money(t.amount)} ${facts.currency}`);
  }
  if (facts.tips !== null) lines.push(`Tips: ${money(facts.tips)} ${facts.currency}`);
  lines.push(facts.totalAmount === null ? 'Total amount: illegible' : `Total amount: ${money(facts.totalAmount)} ${facts.currency}`);
  const pages = [lines.join('\n')];
  for (let p = 1; p < pageCount; p++) {
    pages.push(
      [
        `${receipt ? 'Receipt' : 'Invoice'} ${facts.invoiceNumber} - page ${p + 1} of ${pageCount}`,
        'Terms and conditions',
        'Payment is due within 30 days of the invoice date.',
        'Late payments may incur interest at the statutory rate.',
        `Please quote ${facts.invoiceNumber} with your payment.`,
        `Questions: contact ${facts.supplier.name}.`,
      ].join('\n'),
    );
  }
  return pages;
}

const LEVELS: Record<string, ConfidenceLevel> = { certain: 'Certain', high: 'High', medium: 'Medium', low: 'Low' };

/**
 * `Low` (every field), or `total_amount=Low, line_items.1=Medium`: levels by result path. Unknown
 * words are ignored (a document is outside data).
 */
function parseConfidenceMarker(text: string): [string, ConfidenceLevel][] {
  const out: [string, ConfidenceLevel][] = [];
  for (const part of text.split(',').slice(0, 100)) {
    const [left = '', right] = part.split('=').map((s) => s.trim());
    const level = LEVELS[(right ?? left).toLowerCase()];
    if (!level) continue;
    const path = right === undefined ? '*' : left;
    if (/^[\w.*-]{1,200}$/.test(path)) out.push([path, level]);
  }
  return out;
}

function parseAmount(text: string): number | null {
  let s = text.replace(/[^\d.,-]/g, '');
  if (!/\d/.test(s)) return null;
  if (s.includes(',') && s.includes('.')) {
    s = s.lastIndexOf(',') > s.lastIndexOf('.') ? s.replace(/\./g, '').replace(',', '.') : s.replace(/,/g, '');
  } else if (s.includes(',')) {
    s = /,\d{2}$/.test(s) ? s.replace(',', '.') : s.replace(/,/g, '');
  }
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function parseDate(text: string): string | null {
  const iso = /(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (iso) return `${iso[1]}-${iso[2]}-${iso[3]}`;
  const dmy = /(\d{1,2})[/.](\d{1,2})[/.](\d{4})/.exec(text);
  if (dmy) return `${dmy[3]}-${(dmy[2] ?? '').padStart(2, '0')}-${(dmy[1] ?? '').padStart(2, '0')}`;
  return null;
}

function parseAddress(text: string): Address {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const address: Address = {
    complete: parts.join(', '),
    streetNumber: null,
    streetName: null,
    postalCode: null,
    city: null,
    state: null,
    country: null,
    countryCode: null,
  };
  const last = parts[parts.length - 1];
  if (last && COUNTRY_CODES[last.toLowerCase()]) {
    address.country = last;
    address.countryCode = COUNTRY_CODES[last.toLowerCase()] ?? null;
    parts.pop();
  }
  for (const part of parts) {
    let m: RegExpExecArray | null;
    if (address.streetName === null && (m = /^(\d+[A-Za-z]?)\s+(\D.*)$/.exec(part))) {
      address.streetNumber = m[1] ?? null;
      address.streetName = m[2] ?? null;
    } else if ((m = /^(\d{4,5})\s+(\D.*)$/.exec(part))) {
      address.postalCode = m[1] ?? null;
      address.city = m[2] ?? null;
    } else if ((m = /^(.+?)\s+([A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})$/.exec(part))) {
      address.city = m[1] ?? null;
      address.postalCode = m[2] ?? null;
    } else if ((m = /^([A-Z]{2})\s+(\d{5}(?:-\d{4})?)$/.exec(part))) {
      address.state = m[1] ?? null;
      address.postalCode = m[2] ?? null;
    } else if (address.city === null && !/\d/.test(part)) {
      address.city = part;
    }
  }
  return address;
}

interface PartialFacts {
  documentType?: string;
  invoiceNumber?: string;
  date?: string;
  dueDate?: string;
  time?: string;
  poNumber?: string;
  supplier?: { name: string; address: Address; phone: string | null; registrations: { type: string; number: string }[] };
  customer?: { name: string; address: Address };
  currency?: string;
  lineItems: LineItem[];
  taxes: { rate: number; amount: number }[];
  totalNet?: number;
  totalTax?: number;
  totalAmount?: number;
  tips?: number;
  /** The document prints a total line whose amount cannot be read. */
  totalUnreadable?: boolean;
  paymentDetails: PaymentDetails[];
  confidence: ConfidenceOverrides;
  language?: string;
}

const MAX_PARSED_LINE = 300;

const CURRENCY_SYMBOLS: Record<string, string> = { '£': 'GBP', '€': 'EUR', $: 'USD' };

function parseText(pages: string[], sources: Map<string, Source>): PartialFacts {
  const out: PartialFacts = { lineItems: [], taxes: [], paymentDetails: [], confidence: new Map() };
  const note = (key: string, page: number, line: number, text: string, value: string) => {
    if (sources.has(key)) return;
    const column = Math.max(0, text.indexOf(value));
    sources.set(key, { page, line, column, length: value.length });
  };
  const currencyFrom = (rest: string | undefined, raw: string) => {
    if (out.currency) return;
    const code = rest?.trim().match(/^[A-Z]{3}\b/)?.[0];
    const symbol = Object.keys(CURRENCY_SYMBOLS).find((s) => raw.includes(s));
    out.currency = code ?? (symbol ? CURRENCY_SYMBOLS[symbol] : undefined);
  };
  let english = 0;
  let french = 0;
  pages.forEach((pageText, page) => {
    pageText.split('\n').forEach((raw, line) => {
      const text = raw.trim();
      // Long lines are no invoice field, and the patterns below backtrack badly on them.
      if (!text || text.length > MAX_PARSED_LINE) return;
      const lower = text.toLowerCase();
      if (/\b(invoice|total|date|amount|due|receipt)\b/.test(lower)) english++;
      if (/\b(facture|montant|date d'|échéance|reçu)\b/.test(lower)) french++;
      let m: RegExpExecArray | null;
      if (!out.documentType) {
        if (/^(tax )?invoice\b/.test(lower) || /^facture\b/.test(lower)) out.documentType = 'invoice';
        else if (/^receipt\b/.test(lower)) out.documentType = 'receipt';
        else if (/^credit note\b/.test(lower)) out.documentType = 'credit_note';
        else if (/^purchase order\b/.test(lower)) out.documentType = 'purchase_order';
        else if (/^bank statement\b/.test(lower)) out.documentType = 'bank_statement';
        else if (/^passport\b/.test(lower)) out.documentType = 'passport';
        if (out.documentType) note('documentType', page, line, raw, text.split(/\s+/)[0] ?? text);
      }
      if ((m = /^(?:invoice|receipt|facture)\s*(?:number|no\.?|n°|#)\s*[:#]?\s*(\S.*)$/i.exec(text)) && m[1]) {
        if (!out.invoiceNumber) {
          out.invoiceNumber = m[1].trim();
          note('invoiceNumber', page, line, raw, out.invoiceNumber);
        }
      } else if ((m = /^due date\s*:?\s*(.+)$/i.exec(text)) && m[1]) {
        const d = parseDate(m[1]);
        if (d && !out.dueDate) {
          out.dueDate = d;
          note('dueDate', page, line, raw, m[1].trim());
        }
      } else if ((m = /^(?:invoice |issue |receipt )?date\s*:?\s*(.+)$/i.exec(text)) && m[1]) {
        const d = parseDate(m[1]);
        if (d && !out.date) {
          out.date = d;
          note('date', page, line, raw, m[1].trim());
        }
      } else if ((m = /^time\s*:?\s*(\d{1,2}:\d{2})/i.exec(text)) && m[1]) {
        out.time ??= m[1].padStart(5, '0');
        note('time', page, line, raw, m[1]);
      } else if ((m = /^(?:po|purchase order)(?: number| no\.?)?\s*:\s*(\S.*)$/i.exec(text)) && m[1]) {
        out.poNumber ??= m[1].trim();
        note('poNumber', page, line, raw, m[1].trim());
      } else if ((m = /^(?:supplier|seller|vendor|from)\s*:\s*(\S.*)$/i.exec(text)) && m[1] && !out.supplier) {
        const [name = '', ...rest] = m[1].split(',').map((s) => s.trim());
        out.supplier = { name, address: parseAddress(rest.join(', ')), phone: null, registrations: [] };
        note('supplier.name', page, line, raw, name);
        if (rest.length) note('supplier.address', page, line, raw, rest.join(', '));
      } else if ((m = /^(?:customer|bill to|billed to|buyer|client)\s*:\s*(\S.*)$/i.exec(text)) && m[1] && !out.customer) {
        const [name = '', ...rest] = m[1].split(',').map((s) => s.trim());
        out.customer = { name, address: parseAddress(rest.join(', ')) };
        note('customer.name', page, line, raw, name);
        if (rest.length) note('customer.address', page, line, raw, rest.join(', '));
      } else if ((m = /^(?:phone|tel\.?|telephone)\s*:\s*(\+?[\d ().-]{6,})$/i.exec(text)) && m[1] && out.supplier && !out.supplier.phone) {
        out.supplier.phone = m[1].trim();
        note('supplier.phone', page, line, raw, m[1].trim());
      } else if ((m = /^(VAT|SIRET|SIREN|EIN|TIN|ABN)\s*(?:no\.?|number)?\s*:\s*([A-Z0-9 -]{5,})$/.exec(text)) && m[1] && m[2] && out.supplier) {
        const i = out.supplier.registrations.length;
        out.supplier.registrations.push({ type: m[1], number: m[2].trim() });
        note(`supplier.registrations.${i}.number`, page, line, raw, m[2].trim());
      } else if ((m = /^(?:total net|net total|sub-?total|total excl\.? (?:vat|tax))\s*:?\s*([-£€$]?\s*[\d.,]+)\s*(.*)$/i.exec(text)) && m[1]) {
        out.totalNet ??= parseAmount(m[1]) ?? undefined;
        note('totalNet', page, line, raw, m[1].trim());
        currencyFrom(m[2], text);
      } else if ((m = /^total (?:tax|vat)\s*:?\s*([-£€$]?\s*[\d.,]+)/i.exec(text)) && m[1]) {
        out.totalTax ??= parseAmount(m[1]) ?? undefined;
        note('totalTax', page, line, raw, m[1].trim());
      } else if ((m = /^(?:vat|tva|gst|mwst|iva|tax|sales tax)\s*(\d+(?:[.,]\d+)?)\s*%\s*:?\s*([-£€$]?\s*[\d.,]+)\s*(.*)$/i.exec(text)) && m[1] && m[2]) {
        const rate = parseAmount(m[1]);
        const amount = parseAmount(m[2]);
        if (rate !== null && amount !== null) {
          const i = out.taxes.length;
          out.taxes.push({ rate: round(rate / 100, 6), amount });
          note(`taxes.${i}.amount`, page, line, raw, m[2].trim());
          note(`taxes.${i}.rate`, page, line, raw, `${m[1]}%`);
        }
        currencyFrom(m[3], text);
      } else if ((m = /^IBAN\s*:?\s*([A-Z]{2}\d{2}(?: ?[A-Z0-9]){8,34})$/i.exec(text)) && m[1]) {
        const i = out.paymentDetails.length;
        out.paymentDetails.push({ iban: m[1], swift: null });
        note(`paymentDetails.${i}.iban`, page, line, raw, m[1]);
      } else if ((m = /^(?:SWIFT|BIC)\s*:?\s*([A-Z0-9]{8}(?:[A-Z0-9]{3})?)$/i.exec(text)) && m[1]) {
        const last = out.paymentDetails[out.paymentDetails.length - 1];
        if (last && last.swift === null) last.swift = m[1];
        else out.paymentDetails.push({ iban: null, swift: m[1] });
        note(`paymentDetails.${out.paymentDetails.length - 1}.swift`, page, line, raw, m[1]);
      } else if ((m = /^emulator confidence\s*:\s*(.+)$/i.exec(text)) && m[1]) {
        for (const [path, level] of parseConfidenceMarker(m[1])) out.confidence.set(path, level);
      } else if (/^(?:total amount|total due|amount due|grand total|total)\s*:\s*(?:illegible|unreadable|n\/a|-+|\?+)?$/i.test(text)) {
        out.totalUnreadable = true;
      } else if ((m = /^(?:tips?|gratuity)\s*:?\s*([-£€$]?\s*[\d.,]+)/i.exec(text)) && m[1]) {
        out.tips ??= parseAmount(m[1]) ?? undefined;
        note('tips', page, line, raw, m[1].trim());
      } else if ((m = /^(?:total amount|total due|amount due|grand total|total)\s*:?\s*([-£€$]?\s*[\d.,]+)\s*(.*)$/i.exec(text)) && m[1]) {
        out.totalAmount ??= parseAmount(m[1]) ?? undefined;
        note('totalAmount', page, line, raw, m[1].trim());
        currencyFrom(m[2], text);
      } else if ((m = /^(\S.*?)\s{2,}(\d+(?:[.,]\d+)?)\s+(-?[£€$]?[\d.,]+)\s+(-?[£€$]?[\d.,]+)$/.exec(text))) {
        const [, description = '', qty = '', unit = '', total = ''] = m;
        const quantity = parseAmount(qty);
        const unitPrice = parseAmount(unit);
        const totalPrice = parseAmount(total);
        if (quantity !== null && unitPrice !== null && totalPrice !== null) {
          const i = out.lineItems.length;
          out.lineItems.push({ description, productCode: null, quantity, unitPrice, totalPrice, taxRate: null, unitMeasure: null });
          const offset = raw.indexOf(text);
          const at = (value: string, from: number) => raw.indexOf(value, from);
          sources.set(`lineItems.${i}.description`, { page, line, column: offset, length: description.length });
          const qAt = at(qty, offset + description.length);
          sources.set(`lineItems.${i}.quantity`, { page, line, column: qAt, length: qty.length });
          const uAt = at(unit, qAt + qty.length);
          sources.set(`lineItems.${i}.unitPrice`, { page, line, column: uAt, length: unit.length });
          sources.set(`lineItems.${i}.totalPrice`, { page, line, column: at(total, uAt + unit.length), length: total.length });
        }
      }
    });
  });
  if (english + french > 0) out.language = french > english ? 'fr' : 'en';
  return out;
}

/**
 * The facts of a document: what its text says where it says it, the rest drawn from `seed`,
 * with totals recomputed from whatever was read so that they stay consistent.
 */
export function readFacts(seed: string, pages: string[]): ReadFacts {
  const sources = new Map<string, Source>();
  const drawn = drawFacts(seed);
  const t = parseText(pages, sources);
  const rng = Rng.derive(seed, 'fill');
  const supplier: Party = t.supplier
    ? {
        name: t.supplier.name,
        address: t.supplier.address,
        registrations: t.supplier.registrations.length ? t.supplier.registrations : registrationsFor(rng, t.supplier.address.countryCode),
        phone: t.supplier.phone,
        email: null,
      }
    : drawn.supplier;
  const customer: Party = t.customer
    ? { name: t.customer.name, address: t.customer.address, registrations: [], phone: null, email: null }
    : drawn.customer;
  const country = t.supplier ? t.supplier.address.countryCode : drawn.country;
  const lineItems = t.lineItems.length ? t.lineItems : drawn.lineItems;
  const readAmounts = t.lineItems.length > 0 || t.totalNet !== undefined || t.totalAmount !== undefined;
  let totalNet: number;
  if (t.totalNet !== undefined) totalNet = t.totalNet;
  else if (t.lineItems.length) totalNet = fromCents(t.lineItems.reduce((s, it) => s + toCents(it.totalPrice), 0));
  else if (t.totalAmount !== undefined && t.totalTax !== undefined) totalNet = fromCents(toCents(t.totalAmount) - toCents(t.totalTax));
  else if (t.totalAmount !== undefined) totalNet = t.totalAmount;
  else totalNet = drawn.totalNet;
  let taxes: TaxLine[];
  if (t.taxes.length) {
    taxes = t.taxes.map((x) => ({ rate: x.rate, base: x.rate > 0 ? round(x.amount / x.rate, 2) : totalNet, amount: x.amount }));
    if (t.taxes.length === 1 && taxes[0]) taxes[0].base = totalNet;
  } else if (t.totalTax !== undefined) {
    taxes = [{ rate: totalNet > 0 ? round(t.totalTax / totalNet, 4) : 0, base: totalNet, amount: t.totalTax }];
  } else if (readAmounts && t.totalAmount !== undefined) {
    const amount = fromCents(toCents(t.totalAmount) - toCents(totalNet));
    taxes = amount > 0 ? [{ rate: round(amount / totalNet, 4), base: totalNet, amount }] : [];
  } else if (readAmounts) {
    const rate = drawn.taxes[0]?.rate ?? 0.2;
    taxes = [{ rate, base: totalNet, amount: fromCents(Math.round(toCents(totalNet) * rate)) }];
  } else {
    taxes = drawn.taxes;
  }
  const totalTax = t.totalTax ?? fromCents(taxes.reduce((s, x) => s + toCents(x.amount), 0));
  const tips = t.tips ?? (readAmounts ? null : drawn.tips);
  const totalAmount = t.totalUnreadable && t.totalAmount === undefined ? null : (t.totalAmount ?? fromCents(toCents(totalNet) + toCents(totalTax) + toCents(tips ?? 0)));
  const documentType = t.documentType ?? drawn.documentType;
  const facts: InvoiceFacts = {
    documentType,
    invoiceNumber: t.invoiceNumber ?? drawn.invoiceNumber,
    date: t.date ?? drawn.date,
    dueDate: t.dueDate ?? (t.date ? null : drawn.dueDate),
    time: t.time ?? (t.date ? null : drawn.time),
    poNumber: t.poNumber ?? (t.invoiceNumber ? null : drawn.poNumber),
    supplier,
    customer,
    // A document that names its supplier but prints no bank details has none.
    supplierPaymentDetails: t.paymentDetails.length ? t.paymentDetails : t.supplier ? [] : drawn.supplierPaymentDetails,
    currency: t.currency ?? (country ? CURRENCY_OF[country] : undefined) ?? drawn.currency,
    language: t.language ?? drawn.language,
    country: country ?? drawn.country,
    lineItems,
    taxes,
    totalNet,
    totalTax,
    totalAmount,
    tips,
    purchaseCategory: drawn.purchaseCategory,
    paymentMethod: drawn.paymentMethod,
  };
  return { facts, sources, confidence: t.confidence };
}
