/**
 * Mindee extraction fields built from plain values, as the API shapes them: a scalar becomes a
 * simple field, an object an object field, an array a list field. Confidence and location are
 * given per dotted path (`line_items.1.total_price`), or one for all.
 */
type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

export interface RawOptions {
  /** Confidence of every simple field (default null: the option off). */
  confidence?: string | null;
  /** Confidence of some, by path. */
  confidences?: Record<string, string>;
  /** Page (0-based, as Mindee) and box of some, by path. */
  at?: Record<string, { page: number; box: [number, number, number, number] }>;
}

export function rawFields(plain: Record<string, Plain>, options: RawOptions = {}): Record<string, unknown> {
  const field = (v: Plain, path: string): unknown => {
    if (Array.isArray(v)) return { items: v.map((item, i) => field(item, `${path}.${i}`)), confidence: null };
    if (v !== null && typeof v === 'object') return { fields: fieldsOf(v, `${path}.`), confidence: null, locations: [] };
    const where = options.at?.[path];
    const [x0, y0, x1, y1] = where?.box ?? [0, 0, 0, 0];
    return {
      value: v,
      confidence: options.confidences?.[path] ?? options.confidence ?? null,
      locations: where ? [{ page: where.page, polygon: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]] }] : [],
    };
  };
  const fieldsOf = (o: { [key: string]: Plain }, prefix: string) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, field(v, prefix + k)]));
  return fieldsOf(plain, '');
}

/** Each value of `T` may also be null (a missing field), as a test changes it. */
type Loose<T> = T extends readonly (infer U)[] ? Loose<U>[] : T extends object ? { -readonly [K in keyof T]: Loose<T[K]> } : T | null;
/** A clean invoice's values, as a test may change them (null values, other fields). */
export type Invoice = Loose<ReturnType<typeof invoiceValues>> & { [field: string]: Plain };

/** A clean invoice in `currency`: lines, one tax, totals that add up. */
export function cleanInvoice(currency = 'EUR', decimals = 2): Invoice {
  return invoiceValues(currency, decimals);
}

function invoiceValues(currency: string, decimals: number) {
  const r = (n: number) => Number(n.toFixed(decimals));
  const lines = [
    { description: 'Brake cables', quantity: 2, unit_price: r(12.5), total_price: r(25) },
    { description: 'Pedal arms', quantity: 1, unit_price: r(40), total_price: r(40) },
  ];
  const net = r(65);
  const tax = r(13);
  return {
    invoice_number: 'INV-001',
    date: '2024-03-01',
    due_date: '2024-03-31',
    supplier_name: 'Cycles Dupont',
    locale: { currency, country: 'FR', language: 'fr' },
    line_items: lines,
    taxes: [{ base: net, rate: 20, amount: tax }],
    total_net: net,
    total_tax: tax,
    total_amount: r(net + tax),
    supplier_payment_details: [{ iban: 'FR1420041010050500013M02606' }],
    supplier_company_registration: [{ type: 'VAT', number: 'FR 40 303 265 045' }],
  };
}
