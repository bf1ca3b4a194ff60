import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELS, SIMULATED_MARKER, demoModels, startEmulator } from '../src/index.js';
import type { Emulator } from '../src/index.js';
import { makePdf, makePng, makeSampleInvoicePdf } from '../src/sample-documents.js';
import { call, run } from './helpers.js';

const CUSTOM_MODEL = '7a9d3c1e-5b2f-4e6a-9c8d-0f1e2d3c4b5a';
const CROP_WITH_EXTRACTION = '8b0e4d2f-6c3a-4f7b-8d9e-1a2b3c4d5e6f';
const BARE_CLASSIFIER = '9c1f5e3a-7d4b-4a8c-9e0f-2b3c4d5e6f7a';
const BARE_SPLITTER = 'ad206f4b-8e5c-4b9d-8f1a-3c4d5e6f7a8b';
const CONFIDENCES = ['Certain', 'High', 'Medium', 'Low'];

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({
    processingMs: 0,
    rateLimits: false,
    models: [
      ...demoModels(),
      {
        id: CUSTOM_MODEL,
        name: 'Raw text by default (simulated)',
        modelType: 'extraction',
        fields: [{ name: 'reference', type: 'string' }],
        defaultOptions: { raw_text: true },
      },
      { id: CROP_WITH_EXTRACTION, name: 'Cropper with extraction (simulated)', modelType: 'crop', extractionModelId: DEMO_MODELS.receipt },
      { id: BARE_CLASSIFIER, name: 'Classifier alone (simulated)', modelType: 'classification' },
      { id: BARE_SPLITTER, name: 'Splitter alone (simulated)', modelType: 'split' },
    ],
  });
});
afterAll(() => emu.close());

type Json = any;

/** Every simple field of an extraction result, with its path. */
function simpleFields(fields: Record<string, Json>, path = ''): [string, Json][] {
  const out: [string, Json][] = [];
  for (const [name, field] of Object.entries(fields)) {
    const here = path ? `${path}.${name}` : name;
    if ('value' in field) out.push([here, field]);
    else if ('fields' in field) out.push(...simpleFields(field.fields, here));
    else if ('items' in field) {
      field.items.forEach((item: Json, i: number) => {
        if ('value' in item) out.push([`${here}[${i}]`, item]);
        else out.push(...simpleFields(item.fields, `${here}[${i}]`));
      });
    }
  }
  return out;
}

const cents = (n: number) => Math.round(n * 100);

/** `active_options` when no option was asked for. */
const NOTHING_ACTIVE = {
  raw_text: false,
  polygon: false,
  confidence: false,
  rag: false,
  multipage_context: false,
  text_context: false,
  data_schema: { replace: false },
};

/** What the real nested responses hold (the classification, crop and split fixtures of Mindee's SDKs). */
function expectNestedLikeMindee(nested: Json): void {
  expect(Object.keys(nested)).toEqual(['id', 'job', 'model', 'file', 'result', 'active_options']);
  expect(Object.keys(nested.result)).toEqual(['fields', 'raw_text', 'rag']);
  expect(nested.result.raw_text).toBeNull();
  expect(nested.result.rag).toEqual({ retrieved_document_id: null });
  expect(nested.active_options).toEqual(NOTHING_ACTIVE);
}

function pagesOf(count: number, title = 'INVOICE'): string[][] {
  return Array.from({ length: count }, (_, p) => [
    p === 0 ? title : `Continued - page ${p + 1} of ${count}`,
    ...Array.from({ length: 14 }, (_, l) => `Line ${l + 1} of page ${p + 1}: quarterly figures, shipping notes and remarks`),
  ]);
}

describe('extraction results', () => {
  it('has every key, and no confidence, locations, raw text or rag unless asked', async () => {
    const { job, result } = await run(emu, { modelId: DEMO_MODELS.invoice, doc: makeSampleInvoicePdf(), filename: 'inv.pdf', fields: { alias: 'a1' } });
    expect(result.status).toBe(200);
    expect(result.headers['x-mindee-emulator']).toBe('1');
    const inf = result.json.inference;
    expect(Object.keys(inf).sort()).toEqual(['active_options', 'file', 'id', 'job', 'model', 'result']);
    expect(inf.id).not.toBe(job.id);
    expect(inf.job).toEqual({ id: job.id });
    expect(inf.model).toEqual({ id: DEMO_MODELS.invoice });
    expect(inf.file).toEqual({ name: 'inv.pdf', alias: 'a1', page_count: 1, mime_type: 'application/pdf' });
    expect(Object.keys(inf.result).sort()).toEqual(['fields', 'rag', 'raw_text']);
    expect(inf.result.raw_text).toBeNull();
    expect(inf.result.rag).toBeNull();
    expect(inf.active_options).toEqual(NOTHING_ACTIVE);
    for (const [, field] of simpleFields(inf.result.fields)) {
      expect(Object.keys(field).sort()).toEqual(['confidence', 'locations', 'value']);
      expect(field.confidence).toBeNull();
      expect(field.locations).toEqual([]);
    }
  });

  it('reads the invoice fields from the text of the PDF, nested objects and lists included', async () => {
    const { result } = await run(emu, { modelId: DEMO_MODELS.invoice, doc: makeSampleInvoicePdf() });
    const f = result.json.inference.result.fields;
    expect(f.invoice_number.value).toBe('INV-2026-0042');
    expect(f.date.value).toBe('2026-11-02');
    expect(f.due_date.value).toBe('2026-12-02');
    expect(f.supplier.fields.name.value).toBe('Acme Paper Supplies Ltd');
    expect(f.supplier.fields.address.fields.city.value).toBe('Bristol');
    expect(f.supplier.fields.address.fields.postal_code.value).toBe('BS1 5TY');
    expect(f.supplier.fields.address.fields.country.value).toBe('United Kingdom');
    expect(f.supplier.fields.company_registrations.items[0].fields.number.value).toMatch(/^GB\d{9}$/);
    expect(f.customer.fields.name.value).toBe('Northwind Traders');
    expect(f.customer.fields.address.fields.city.value).toBe('Paris');
    expect(f.locale.fields.currency.value).toBe('GBP');
    expect(f.locale.fields.country.value).toBe('GB');
    expect(f.line_items.items.map((it: Json) => [it.fields.description.value, it.fields.quantity.value, it.fields.unit_price.value, it.fields.total_price.value])).toEqual([
      ['A4 copy paper, 5 reams', 4, 21.5, 86],
      ['Toner cartridge, black', 2, 64, 128],
      ['Delivery', 1, 15, 15],
    ]);
    expect(f.taxes.items[0].fields.rate.value).toBe(0.2);
    expect(f.taxes.items[0].fields.amount.value).toBe(45.8);
    expect(f.total_net.value).toBe(229);
    expect(f.total_tax.value).toBe(45.8);
    expect(f.total_amount.value).toBe(274.8);
    expect(f.reference_numbers.items[0].value).toBe('INV-2026-0042');
    expect(f.document_type.value).toBe('invoice');
  });

  it('draws consistent, deterministic values from the hash of a document without text', async () => {
    const png = makePng(16, 16);
    const a = await run(emu, { modelId: DEMO_MODELS.invoice, doc: png });
    const b = await run(emu, { modelId: DEMO_MODELS.invoice, doc: png });
    const fa = a.result.json.inference.result.fields;
    expect(b.result.json.inference.result.fields).toEqual(fa);
    expect(fa.invoice_number.value).toEqual(expect.any(String));
    expect(fa.date.value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const items = fa.line_items.items;
    expect(items.length).toBeGreaterThan(0);
    for (const it of items) {
      expect(cents(it.fields.quantity.value * it.fields.unit_price.value)).toBe(cents(it.fields.total_price.value));
    }
    const itemsTotal = items.reduce((s: number, it: Json) => s + cents(it.fields.total_price.value), 0);
    expect(cents(fa.total_net.value)).toBe(itemsTotal);
    expect(cents(fa.total_net.value) + cents(fa.total_tax.value)).toBe(cents(fa.total_amount.value));
    const other = await run(emu, { modelId: DEMO_MODELS.invoice, doc: makePng(17, 16) });
    expect(other.result.json.inference.result.fields).not.toEqual(fa);
  });

  it('honours confidence, polygon, raw_text, rag and text_context', async () => {
    const doc = makePdf({ pages: [['INVOICE', 'Invoice number: A-1', 'Total amount: 10.00 EUR'], ['Second page text']] });
    const { result } = await run(emu, {
      modelId: DEMO_MODELS.invoice,
      doc,
      fields: { confidence: 'true', polygon: 'true', raw_text: 'true', rag: 'true', text_context: 'This is an invoice from a French supplier.' },
    });
    const inf = result.json.inference;
    expect(inf.active_options).toEqual({
      raw_text: true,
      polygon: true,
      confidence: true,
      rag: true,
      multipage_context: false,
      text_context: true,
      data_schema: { replace: false },
    });
    const fields = simpleFields(inf.result.fields);
    for (const [path, field] of fields) {
      expect(CONFIDENCES, path).toContain(field.confidence);
      if (field.value === null) continue;
      expect(field.locations, path).toHaveLength(1);
      const [loc] = field.locations;
      expect(loc.polygon).toHaveLength(4);
      for (const [x, y] of loc.polygon) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(1);
      }
      expect([0, 1]).toContain(loc.page);
    }
    expect(inf.result.fields.invoice_number.value).toBe('A-1');
    expect(inf.result.fields.invoice_number.locations[0].page).toBe(0);
    expect(inf.result.fields.supplier.confidence).toEqual(expect.any(String));
    expect(inf.result.raw_text.pages).toHaveLength(2);
    expect(inf.result.raw_text.pages[0].content.startsWith(SIMULATED_MARKER)).toBe(true);
    expect(inf.result.raw_text.pages[0].content).toContain('Invoice number: A-1');
    expect(inf.result.raw_text.pages[1].content).toBe(`${SIMULATED_MARKER}\nSecond page text`);
    expect(inf.result.rag).toEqual({ retrieved_document_id: null });
  });

  it("applies the model's default options when the form leaves them out", async () => {
    const byDefault = await run(emu, { modelId: CUSTOM_MODEL, doc: makePng() });
    expect(byDefault.result.json.inference.active_options.raw_text).toBe(true);
    expect(byDefault.result.json.inference.result.raw_text.pages).toHaveLength(1);
    const off = await run(emu, { modelId: CUSTOM_MODEL, doc: makePng(), fields: { raw_text: 'false' } });
    expect(off.result.json.inference.result.raw_text).toBeNull();
  });

  it('follows a data_schema replace: types, lists and nested objects', async () => {
    const schema = {
      replace: {
        fields: [
          { name: 'test_replace', title: 'Test Replace', is_array: false, type: 'string', description: 'A value', guidelines: '' },
          { name: 'total_amount', title: 'Total', is_array: false, type: 'number', description: '', guidelines: '' },
          { name: 'paid', title: 'Paid', is_array: false, type: 'boolean', description: '', guidelines: '' },
          { name: 'when', title: 'When', is_array: false, type: 'date', description: '', guidelines: '' },
          { name: 'kind', title: 'Kind', is_array: false, type: 'classification', classification_values: ['a', 'b'] },
          { name: 'tags', title: 'Tags', is_array: true, type: 'string' },
          {
            name: 'party',
            title: 'Party',
            is_array: false,
            type: 'nested_object',
            nested_fields: [
              { name: 'label', type: 'string' },
              { name: 'codes', type: 'integer', is_array: true },
            ],
          },
        ],
      },
    };
    const { result } = await run(emu, { modelId: DEMO_MODELS.invoice, doc: makeSampleInvoicePdf(), fields: { data_schema: JSON.stringify(schema) } });
    const inf = result.json.inference;
    expect(inf.active_options.data_schema).toEqual({ replace: true });
    const f = inf.result.fields;
    expect(Object.keys(f)).toEqual(['test_replace', 'total_amount', 'paid', 'when', 'kind', 'tags', 'party']);
    expect(typeof f.test_replace.value).toBe('string');
    expect(f.total_amount.value).toBe(274.8);
    expect(typeof f.paid.value).toBe('boolean');
    expect(f.when.value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(['a', 'b']).toContain(f.kind.value);
    expect(f.tags.items.length).toBeGreaterThan(0);
    expect(typeof f.tags.items[0].value).toBe('string');
    expect(typeof f.party.fields.label.value).toBe('string');
    expect(Number.isInteger(f.party.fields.codes.items[0].value)).toBe(true);
  });
});

describe('utility results', () => {
  it('classification: a document type and a nested extraction response', async () => {
    const { job, result } = await run(emu, { route: '/v2/products/classification/enqueue', modelId: DEMO_MODELS.classification, doc: makeSampleInvoicePdf() });
    expect(job.result_url).toMatch(/\/v2\/products\/classification\/results\//);
    const inf = result.json.inference;
    expect(Object.keys(inf).sort()).toEqual(['file', 'id', 'job', 'model', 'result']);
    expect(inf.result.classification.document_type).toBe('invoice');
    const nested = inf.result.classification.extraction_response.inference;
    expect(nested.model.id).toBe(DEMO_MODELS.invoice);
    expect(nested.id).toBe(nested.job.id);
    expect(nested.file).toEqual(inf.file);
    expect(nested.result.fields.invoice_number.value).toBe('INV-2026-0042');
    expectNestedLikeMindee(nested);
    const again = await call(emu, 'GET', job.result_url as string);
    expect(again.json).toEqual(result.json);
  });

  it('crop: at least one crop per page, with a location, and no extraction_response key without an extraction model', async () => {
    const { result } = await run(emu, { route: '/v2/products/crop/enqueue', modelId: DEMO_MODELS.crop, doc: makePdf({ pages: pagesOf(5) }) });
    const crops = result.json.inference.result.crops;
    expect(result.json.inference.file.page_count).toBe(5);
    expect(new Set(crops.map((c: Json) => c.location.page))).toEqual(new Set([0, 1, 2, 3, 4]));
    for (const crop of crops) {
      expect(Object.keys(crop).sort()).toEqual(['location', 'object_type']);
      expect(['invoice', 'receipt']).toContain(crop.object_type);
      expect(crop.location.polygon).toHaveLength(4);
    }
  });

  it('crop with an extraction model: each crop nests the extraction of a PNG cut from its page', async () => {
    const doc = makePdf({ pages: pagesOf(2) });
    const { result } = await run(emu, { route: '/v2/products/crop/enqueue', modelId: CROP_WITH_EXTRACTION, doc, filename: 'scans.pdf' });
    const crops = result.json.inference.result.crops;
    expect(crops.length).toBeGreaterThanOrEqual(2);
    for (const crop of crops) {
      const nested = crop.extraction_response.inference;
      expect(nested.file).toEqual({ name: 'scans.pdf', alias: null, page_count: 1, mime_type: 'image/png' });
      expectNestedLikeMindee(nested);
    }
  });

  it('classification and split without an extraction model leave extraction_response out', async () => {
    const classified = await run(emu, { route: '/v2/products/classification/enqueue', modelId: BARE_CLASSIFIER, doc: makePng() });
    expect(classified.result.json.inference.result).toEqual({ classification: { document_type: expect.any(String) } });
    const split = await run(emu, { route: '/v2/products/split/enqueue', modelId: BARE_SPLITTER, doc: makePdf({ pages: pagesOf(2) }) });
    for (const part of split.result.json.inference.result.splits) expect(Object.keys(part).sort()).toEqual(['document_type', 'page_range']);
  });

  it('ocr: one page per PDF page with its real text and positioned words, a few KB each', async () => {
    const pages = pagesOf(40);
    const { result } = await run(emu, { route: '/v2/products/ocr/enqueue', modelId: DEMO_MODELS.ocr, doc: makePdf({ pages }) });
    const inf = result.json.inference;
    expect(inf.file.page_count).toBe(40);
    expect(inf.result.pages).toHaveLength(40);
    inf.result.pages.forEach((page: Json, i: number) => {
      expect(page.content).toBe(`${SIMULATED_MARKER}\n${(pages[i] as string[]).join('\n')}`);
      expect(page.words.length).toBeGreaterThan(50);
      expect(page.words[0].content).toBe(i === 0 ? 'INVOICE' : 'Continued');
      expect(page.words[0].polygon).toHaveLength(4);
      const size = JSON.stringify(page).length;
      expect(size).toBeGreaterThan(2_000);
      expect(size).toBeLessThan(40_000);
    });
  });

  it('ocr of an image: one page of simulated text', async () => {
    const { result } = await run(emu, { route: '/v2/products/ocr/enqueue', modelId: DEMO_MODELS.ocr, doc: makePng() });
    const pages = result.json.inference.result.pages;
    expect(pages).toHaveLength(1);
    expect(pages[0].content.startsWith(SIMULATED_MARKER)).toBe(true);
    expect(pages[0].words.length).toBeGreaterThan(10);
  });

  it('split: page ranges covering every page, one document per title page, each with its extraction', async () => {
    const doc = makePdf({
      pages: [
        ['INVOICE', 'Invoice number: A-1', 'Total amount: 10.00 EUR'],
        ['Invoice A-1 - page 2 of 2', 'Terms'],
        ['RECEIPT', 'Receipt number: R-9', 'Total: 4.50 EUR'],
        ['INVOICE', 'Invoice number: B-2', 'Total amount: 99.00 EUR'],
      ],
    });
    const { result } = await run(emu, { route: '/v2/products/split/enqueue', modelId: DEMO_MODELS.split, doc, filename: 'batch.pdf' });
    const splits = result.json.inference.result.splits;
    expect(splits.map((s: Json) => [s.page_range, s.document_type])).toEqual([
      [[0, 1], 'invoice'],
      [[2, 2], 'receipt'],
      [[3, 3], 'invoice'],
    ]);
    // Mindee names each part after its page range, the end exclusive.
    expect(splits.map((s: Json) => s.extraction_response.inference.file.name)).toEqual(['batch.pdf_split_0_2', 'batch.pdf_split_2_3', 'batch.pdf_split_3_4']);
    for (const s of splits) expectNestedLikeMindee(s.extraction_response.inference);
    expect(splits[0].extraction_response.inference.file.page_count).toBe(2);
    expect(splits[0].extraction_response.inference.result.fields.invoice_number.value).toBe('A-1');
    expect(splits[2].extraction_response.inference.result.fields.total_amount.value).toBe(99);
    expect(splits[1].extraction_response.inference.id).not.toBe(splits[2].extraction_response.inference.id);
  });
});
