/**
 * Simulated extraction: walks a data schema and fills each field from the document's facts when
 * a field's name says what it is (invoice_number, supplier.address.city, line_items[].quantity…),
 * otherwise with a type-appropriate value drawn from the document's hash and the field's path.
 */
import type { Address, ConfidenceOverrides, InvoiceFacts, Party, ReadFacts, Source } from './facts.js';
import { randomBox, textBox } from './layout.js';
import { Rng, round } from './rng.js';
import type {
  Confidence,
  ExtractionResultJson,
  FieldJson,
  LocationJson,
  ObjectFieldJson,
  SchemaField,
  SimpleFieldJson,
} from './types.js';

/** Every page text of a simulated document begins with this line. */
export const SIMULATED_MARKER = '[simulated by the mindee-mcp emulator]';

export interface AppliedOptions {
  raw_text: boolean;
  polygon: boolean;
  confidence: boolean;
  rag: boolean;
  text_context: string | null;
  data_schema: SchemaField[] | null;
}

export interface DocumentView {
  /** Seed of every drawn value: the document's SHA-256, plus the page range for partial views. */
  seed: string;
  /** Text of each page of the view (real, or rendered from drawn facts). */
  pages: string[];
  /** Index, in the whole document, of the view's first page. */
  firstPage: number;
  read: ReadFacts;
}

type Scalar = string | number | boolean | null;

type FactNode =
  | { kind: 'leaf'; value: Scalar; src?: string | undefined }
  | { kind: 'obj'; fields: Record<string, FactNode>; primary?: string }
  | { kind: 'list'; items: FactNode[] };

const leaf = (value: Scalar, src?: string): FactNode => ({ kind: 'leaf', value, src });
const obj = (fields: Record<string, FactNode>, primary?: string): FactNode =>
  primary === undefined ? { kind: 'obj', fields } : { kind: 'obj', fields, primary };
const list = (items: FactNode[]): FactNode => ({ kind: 'list', items });

/** Parts of an address point at the address's source; location() narrows it to the part. */
function addressNode(a: Address, src: string): FactNode {
  const complete = leaf(a.complete || null, src);
  return obj(
    {
      complete,
      value: complete,
      address: complete,
      full_address: complete,
      street_number: leaf(a.streetNumber, src),
      street_name: leaf(a.streetName, src),
      street: leaf(a.streetNumber && a.streetName ? `${a.streetNumber} ${a.streetName}` : a.streetName, src),
      postal_code: leaf(a.postalCode, src),
      zip_code: leaf(a.postalCode, src),
      city: leaf(a.city, src),
      state: leaf(a.state, src),
      country: leaf(a.country, src),
      country_code: leaf(a.countryCode),
      po_box: leaf(null),
      address_complement: leaf(null),
    },
    'complete',
  );
}

function registrationsNode(p: Party, prefix: string): FactNode {
  return list(
    p.registrations.map((r, i) =>
      obj({ type: leaf(r.type), number: leaf(r.number, `${prefix}.registrations.${i}.number`), value: leaf(r.number) }, 'number'),
    ),
  );
}

function partyNode(p: Party, prefix: string): FactNode {
  const registrations = registrationsNode(p, prefix);
  return obj(
    {
      name: leaf(p.name, `${prefix}.name`),
      address: addressNode(p.address, `${prefix}.address`),
      company_registrations: registrations,
      company_registration: registrations,
      registrations,
      phone_number: leaf(p.phone, `${prefix}.phone`),
      phone: leaf(p.phone, `${prefix}.phone`),
      email: leaf(p.email),
    },
    'name',
  );
}

/** The facts as a tree addressed by the field names models commonly use. */
function factTree(f: InvoiceFacts): FactNode {
  const number = leaf(f.invoiceNumber, 'invoiceNumber');
  const date = leaf(f.date, 'date');
  const locale = obj({ language: leaf(f.language), currency: leaf(f.currency, 'currency'), country: leaf(f.country) });
  const lineItems = list(
    f.lineItems.map((it, i) => {
      const total = leaf(it.totalPrice, `lineItems.${i}.totalPrice`);
      return obj(
        {
          description: leaf(it.description, `lineItems.${i}.description`),
          product_code: leaf(it.productCode),
          quantity: leaf(it.quantity, `lineItems.${i}.quantity`),
          unit_price: leaf(it.unitPrice, `lineItems.${i}.unitPrice`),
          total_price: total,
          total_amount: total,
          amount: total,
          tax_rate: leaf(it.taxRate),
          tax_amount: leaf(it.taxRate === null ? null : round(it.totalPrice * it.taxRate, 2)),
          unit_measure: leaf(it.unitMeasure),
        },
        'description',
      );
    }),
  );
  const taxes = list(
    f.taxes.map((t, i) =>
      obj({ rate: leaf(t.rate, `taxes.${i}.rate`), base: leaf(t.base), amount: leaf(t.amount, `taxes.${i}.amount`) }, 'amount'),
    ),
  );
  const paymentDetails = list(
    f.supplierPaymentDetails.map((p, i) =>
      obj(
        {
          iban: leaf(p.iban, `paymentDetails.${i}.iban`),
          swift: leaf(p.swift, `paymentDetails.${i}.swift`),
          account_number: leaf(null),
          routing_number: leaf(null),
        },
        'iban',
      ),
    ),
  );
  const supplier = partyNode(f.supplier, 'supplier');
  const customer = partyNode(f.customer, 'customer');
  const supplierFields = supplier.kind === 'obj' ? supplier.fields : {};
  const customerFields = customer.kind === 'obj' ? customer.fields : {};
  const totalAmount = leaf(f.totalAmount, 'totalAmount');
  const totalNet = leaf(f.totalNet, 'totalNet');
  const tips = leaf(f.tips, 'tips');
  const po = leaf(f.poNumber, 'poNumber');
  return obj({
    invoice_number: number,
    receipt_number: number,
    document_number: number,
    number,
    date,
    invoice_date: date,
    issue_date: date,
    due_date: leaf(f.dueDate, 'dueDate'),
    time: leaf(f.time, 'time'),
    po_number: po,
    purchase_order_number: po,
    document_type: leaf(f.documentType, 'documentType'),
    supplier,
    customer,
    supplier_name: supplierFields.name as FactNode,
    supplier_address: supplierFields.address as FactNode,
    supplier_phone_number: supplierFields.phone_number as FactNode,
    supplier_company_registration: supplierFields.registrations as FactNode,
    supplier_company_registrations: supplierFields.registrations as FactNode,
    supplier_payment_details: paymentDetails,
    customer_name: customerFields.name as FactNode,
    customer_address: customerFields.address as FactNode,
    customer_company_registration: customerFields.registrations as FactNode,
    customer_company_registrations: customerFields.registrations as FactNode,
    locale,
    currency: leaf(f.currency, 'currency'),
    language: leaf(f.language),
    country: leaf(f.country),
    line_items: lineItems,
    items: lineItems,
    taxes,
    total_net: totalNet,
    subtotal: totalNet,
    total_tax: leaf(f.totalTax, 'totalTax'),
    total_amount: totalAmount,
    total: totalAmount,
    tips_gratuity: tips,
    tips,
    reference_numbers: list([number, ...(f.poNumber ? [po] : [])]),
    purchase_category: leaf(f.purchaseCategory),
    payment_method: leaf(f.paymentMethod),
  });
}

const RANK: Record<Confidence, number> = { Certain: 0, High: 1, Medium: 2, Low: 3 };

const WORDS = ['alpha', 'harbour', 'meridian', 'copper', 'linden', 'quartz', 'saffron', 'tundra', 'violet', 'willow'];

class FieldBuilder {
  constructor(
    private readonly view: DocumentView,
    private readonly options: AppliedOptions,
    /** The model's forced levels; the document's own `Emulator confidence:` line wins over them. */
    private readonly forced: ConfidenceOverrides,
  ) {}

  fields(specs: SchemaField[], node: FactNode | undefined, path: string[]): Record<string, FieldJson> {
    const out: Record<string, FieldJson> = {};
    for (const spec of specs) {
      const child = node?.kind === 'obj' ? node.fields[spec.name.toLowerCase()] : undefined;
      out[spec.name] = this.field(spec, child, [...path, spec.name]);
    }
    return out;
  }

  private field(spec: SchemaField, node: FactNode | undefined, path: string[]): FieldJson {
    if (spec.is_array) {
      let items: FactNode[] | undefined;
      if (node?.kind === 'list') items = node.items;
      else if (node) items = [node];
      const count = items ? items.length : Rng.derive(this.view.seed, 'count', path.join('.')).int(1, 3);
      const built = Array.from({ length: count }, (_, i) => this.single(spec, items?.[i], [...path, String(i)]));
      return { items: built, confidence: this.options.confidence ? lowest(built.map((b) => b.confidence)) : null };
    }
    return this.single(spec, node?.kind === 'list' ? node.items[0] : node, path);
  }

  private single(spec: SchemaField, node: FactNode | undefined, path: string[]): SimpleFieldJson | ObjectFieldJson {
    if (spec.type === 'nested_object') {
      const fields = this.fields(spec.nested_fields ?? [], node?.kind === 'obj' ? node : undefined, path);
      const confidences = Object.values(fields).map((f) => f.confidence);
      return { fields, confidence: this.options.confidence ? lowest(confidences) : null, locations: [] };
    }
    let value: Scalar | undefined;
    let src: string | undefined;
    let found = node;
    if (found?.kind === 'obj' && found.primary) found = found.fields[found.primary];
    if (found?.kind === 'leaf') {
      value = coerce(spec, found.value, Rng.derive(this.view.seed, 'class', path.join('.')));
      if (value !== undefined) src = found.src;
    }
    const fromFacts = value !== undefined;
    if (value === undefined) value = this.drawn(spec, path);
    const source = src ? this.view.read.sources.get(src) : undefined;
    return {
      value,
      confidence: this.options.confidence ? (this.forcedLevel(path) ?? this.confidence(path, fromFacts, value)) : null,
      locations: this.options.polygon && value !== null ? [this.location(path, source, value)] : [],
    };
  }

  private drawn(spec: SchemaField, path: string[]): Scalar {
    const rng = Rng.derive(this.view.seed, 'value', path.join('.'));
    switch (spec.type) {
      case 'number':
        return round(rng.int(100, 100_000) / 100, 2);
      case 'integer':
        return rng.int(1, 100);
      case 'boolean':
        return rng.chance(0.5);
      case 'date':
        return new Date(Date.UTC(2023, 0, 1) + rng.int(0, 1095) * 86_400_000).toISOString().slice(0, 10);
      case 'datetime':
        return new Date(Date.UTC(2023, 0, 1) + rng.int(0, 1095 * 86_400) * 1000).toISOString().slice(0, 19);
      case 'classification':
        return spec.classification_values?.length ? rng.pick(spec.classification_values) : null;
      default: {
        const label = spec.title?.trim() || spec.name.replace(/_/g, ' ');
        return `${label} ${rng.pick(WORDS)}-${rng.int(100, 999)}`;
      }
    }
  }

  /** The level forced on this path or the nearest path above it, or `*`: the document's first, then the model's. */
  private forcedLevel(path: string[]): Confidence | undefined {
    for (const overrides of [this.view.read.confidence, this.forced]) {
      for (let n = path.length; n > 0; n--) {
        const level = overrides.get(path.slice(0, n).join('.'));
        if (level) return level;
      }
      const all = overrides.get('*');
      if (all) return all;
    }
    return undefined;
  }

  /** What the document says (or plainly lacks) is sure; a value made up for a field it does not speak of is not. */
  private confidence(path: string[], fromFacts: boolean, value: Scalar): Confidence {
    const rng = Rng.derive(this.view.seed, 'confidence', path.join('.'));
    if (fromFacts) return rng.chance(0.7) ? 'Certain' : 'High';
    if (value === null) return rng.pick(['High', 'Medium'] as const);
    const r = rng.next();
    return r < 0.2 ? 'Certain' : r < 0.6 ? 'High' : r < 0.85 ? 'Medium' : 'Low';
  }

  private location(path: string[], source: Source | undefined, value: Scalar): LocationJson {
    if (source) {
      // A value read from part of a span (a city within an address) gets the box of that part.
      const line = this.view.pages[source.page]?.split('\n')[source.line] ?? '';
      const text = String(value);
      const at = line.indexOf(text, source.column);
      const inside = at >= 0 && at + text.length <= source.column + source.length;
      const [column, length] = inside ? [at, text.length] : [source.column, source.length];
      return { polygon: textBox(source.line, column, length, line), page: this.view.firstPage + source.page };
    }
    const rng = Rng.derive(this.view.seed, 'location', path.join('.'));
    const page = this.view.firstPage + rng.int(0, Math.max(0, this.view.pages.length - 1));
    return { polygon: randomBox(rng), page };
  }
}

/** A fact used for a field of another type is converted when that makes sense, else dropped. */
function coerce(spec: SchemaField, value: Scalar, rng: Rng): Scalar | undefined {
  if (value === null) return null;
  switch (spec.type) {
    case 'number':
      return typeof value === 'number' ? value : undefined;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
    case 'datetime':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? value : undefined;
    case 'classification': {
      const values = spec.classification_values ?? [];
      if (typeof value !== 'string') return undefined;
      if (values.length === 0 || values.includes(value)) return value;
      return values.includes('other') ? 'other' : rng.pick(values);
    }
    default:
      return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  }
}

function lowest(values: (Confidence | null)[]): Confidence | null {
  let worst: Confidence | null = null;
  for (const v of values) if (v && (worst === null || RANK[v] > RANK[worst])) worst = v;
  return worst;
}

function rawTextPages(pages: string[]): { content: string }[] {
  return pages.map((text) => ({ content: `${SIMULATED_MARKER}\n${text}` }));
}

export function simulateExtraction(
  schema: SchemaField[],
  view: DocumentView,
  options: AppliedOptions,
  forced: ConfidenceOverrides = new Map(),
): ExtractionResultJson {
  const builder = new FieldBuilder(view, options, forced);
  return {
    fields: builder.fields(schema, factTree(view.read.facts), []),
    raw_text: options.raw_text ? { pages: rawTextPages(view.pages) } : null,
    rag: options.rag ? { retrieved_document_id: null } : null,
  };
}

