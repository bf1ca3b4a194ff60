/**
 * The emulated account's models: the demo set (fixed ids, so docs and configs can name them)
 * and the model search route's filtering and paging.
 */
import { documentRejected, inferenceFailed } from './problems.js';
import type { EmulatorModel, Product, SchemaField, SchemaFieldType, WebhookEndpoint } from './types.js';

export const DEMO_MODELS = {
  invoice: '90b0501c-f03f-478a-a132-3a0a2e57dce3',
  receipt: 'e8fb2b1b-c37b-4498-8cfd-511a9b894c4d',
  classification: 'eda5723c-dd74-4269-b8b6-3aaa1d55b017',
  crop: 'b95c2c14-eac2-4e0c-b269-3430db0b01d1',
  ocr: 'd624da68-192f-4aa1-9c73-8ace54f1e2f1',
  split: 'c5ab6d7a-605f-4a10-914b-113037daf40a',
  failing: '0c47e7b8-133e-4a70-97e3-b726d6d8b805',
  deleteOnFetch: 'c0865de9-13e3-478e-91b7-b201ab49b2a3',
} as const;

/** Webhook endpoints of the demo invoice model (they point nowhere: override `models` to receive them). */
export const DEMO_WEBHOOKS = {
  invoiceSuccess: 'f48ff885-61fb-4a90-aaf3-b5350ca2d76a',
  invoiceAudit: 'bab1a13f-8f53-4bee-880c-3a916e92e6e5',
} as const;

function humanise(name: string): string {
  const s = name.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function field(name: string, type: SchemaFieldType = 'string', extra: Partial<SchemaField> = {}): SchemaField {
  return { name, title: humanise(name), is_array: false, type, ...extra };
}

function object(name: string, nested: SchemaField[], isArray = false): SchemaField {
  return { name, title: humanise(name), is_array: isArray, type: 'nested_object', nested_fields: nested };
}

const ADDRESS: SchemaField[] = [
  field('complete'),
  field('street_number'),
  field('street_name'),
  field('postal_code'),
  field('city'),
  field('state'),
  field('country'),
];

const REGISTRATIONS = object('company_registrations', [field('type'), field('number')], true);

const LOCALE = object('locale', [field('language'), field('currency'), field('country')]);

export const PURCHASE_CATEGORIES = ['miscellaneous', 'food', 'transport', 'software', 'shopping', 'telecom', 'accommodation'];

/** An invoice schema with objects inside objects and lists of objects inside objects. */
export const INVOICE_FIELDS: SchemaField[] = [
  field('invoice_number'),
  field('date', 'date'),
  field('due_date', 'date'),
  field('po_number'),
  field('document_type', 'classification', { classification_values: ['invoice', 'credit_note', 'receipt'] }),
  LOCALE,
  object('supplier', [field('name'), object('address', ADDRESS), REGISTRATIONS, field('phone_number')]),
  object('customer', [field('name'), object('address', ADDRESS), REGISTRATIONS]),
  object(
    'line_items',
    [
      field('description'),
      field('product_code'),
      field('quantity', 'number'),
      field('unit_price', 'number'),
      field('total_price', 'number'),
      field('tax_rate', 'number'),
    ],
    true,
  ),
  object('taxes', [field('rate', 'number'), field('base', 'number'), field('amount', 'number')], true),
  object('supplier_payment_details', [field('iban'), field('swift'), field('account_number'), field('routing_number')], true),
  field('total_net', 'number'),
  field('total_tax', 'number'),
  field('total_amount', 'number'),
  field('reference_numbers', 'string', { is_array: true }),
  field('purchase_category', 'classification', { classification_values: PURCHASE_CATEGORIES }),
];

export const RECEIPT_FIELDS: SchemaField[] = [
  field('receipt_number'),
  field('date', 'date'),
  field('time'),
  field('supplier_name'),
  field('supplier_address'),
  field('supplier_phone_number'),
  LOCALE,
  object('line_items', [field('description'), field('quantity', 'number'), field('total_price', 'number')], true),
  object('taxes', [field('rate', 'number'), field('base', 'number'), field('amount', 'number')], true),
  field('total_net', 'number'),
  field('total_tax', 'number'),
  field('tips_gratuity', 'number'),
  field('total_amount', 'number'),
  field('purchase_category', 'classification', { classification_values: PURCHASE_CATEGORIES }),
  field('payment_method', 'classification', { classification_values: ['card', 'bank_transfer', 'cash'] }),
];

const DOCUMENT_TYPES = ['invoice', 'receipt', 'credit_note', 'purchase_order', 'bank_statement', 'passport', 'other'];

const demoWebhooks: WebhookEndpoint[] = [
  { id: DEMO_WEBHOOKS.invoiceSuccess, name: 'Invoice results (simulated)', url: 'https://webhooks.invalid/mindee/invoice' },
  { id: DEMO_WEBHOOKS.invoiceAudit, name: 'Audit log (simulated)', url: 'https://webhooks.invalid/mindee/audit' },
];

export function demoModels(): EmulatorModel[] {
  return [
    {
      id: DEMO_MODELS.invoice,
      name: 'Invoice (simulated)',
      modelType: 'extraction',
      fields: INVOICE_FIELDS,
      webhooks: demoWebhooks,
    },
    { id: DEMO_MODELS.receipt, name: 'Receipt (simulated)', modelType: 'extraction', fields: RECEIPT_FIELDS },
    {
      id: DEMO_MODELS.classification,
      name: 'Document classifier (simulated)',
      modelType: 'classification',
      documentTypes: DOCUMENT_TYPES,
      extractionModelId: DEMO_MODELS.invoice,
    },
    { id: DEMO_MODELS.crop, name: 'Document cropper (simulated)', modelType: 'crop', documentTypes: ['invoice', 'receipt'] },
    { id: DEMO_MODELS.ocr, name: 'OCR (simulated)', modelType: 'ocr' },
    {
      id: DEMO_MODELS.split,
      name: 'Document splitter (simulated)',
      modelType: 'split',
      documentTypes: DOCUMENT_TYPES,
      extractionModelId: DEMO_MODELS.invoice,
    },
    {
      id: DEMO_MODELS.failing,
      name: 'Always failing extraction (simulated)',
      modelType: 'extraction',
      fields: INVOICE_FIELDS,
      failWith: inferenceFailed(),
    },
    {
      id: DEMO_MODELS.deleteOnFetch,
      name: 'Invoice, results deleted once fetched (simulated)',
      modelType: 'extraction',
      fields: INVOICE_FIELDS,
      deleteResultsOnFetch: true,
    },
  ];
}

/** Errors a model's `failWith` can name by code. */
export const FAILURES = { '500-012': inferenceFailed, '422-001': documentRejected } as const;

export interface ModelSearch {
  name?: string | undefined;
  modelType?: Product | undefined;
  page: number;
  perPage: number;
}

export function searchModels(models: readonly EmulatorModel[], q: ModelSearch) {
  const name = q.name?.trim().toLowerCase() ?? '';
  const filtered = models.filter(
    (m) => (!name || m.name.toLowerCase().includes(name)) && (!q.modelType || m.modelType === q.modelType),
  );
  const start = (q.page - 1) * q.perPage;
  return {
    models: filtered.slice(start, start + q.perPage).map((m) => ({
      id: m.id,
      name: m.name,
      model_type: m.modelType,
      webhooks: (m.webhooks ?? []).map((w) => ({ id: w.id, name: w.name, url: w.url })),
    })),
    pagination: {
      per_page: q.perPage,
      page: q.page,
      total_items: filtered.length,
      total_pages: Math.ceil(filtered.length / q.perPage),
      total_items_unfiltered: name || q.modelType ? models.length : null,
    },
  };
}
