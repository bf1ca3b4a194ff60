/**
 * Documents whose printed facts disagree come out disagreeing, as printed; clean ones come out
 * agreeing; and confidence can be forced low by the document or by the model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELS, demoModels, parseModels, startEmulator } from '../src/index.js';
import type { Emulator } from '../src/index.js';
import {
  PLANTED_ERRORS,
  RECEIPT_PLANTED_ERRORS,
  SAMPLE_IBAN,
  makeAcceptedInvoicePdf,
  makeDisagreeingInvoicePdf,
  makeFinancialDocument,
  makeSampleInvoicePdf,
  type PlantedError,
} from '../src/sample-documents.js';
import { run } from './helpers.js';

const LOW_MODEL = '5d1c6a2e-3f4b-4c5d-8e6f-7a8b9c0d1e2f';
const PER_PATH_MODEL = '6e2d7b3f-4a5c-4d6e-9f7a-8b9c0d1e2f3a';

let emu: Emulator;
beforeAll(async () => {
  const invoice = demoModels().find((m) => m.id === DEMO_MODELS.invoice)!;
  emu = await startEmulator({
    processingMs: 0,
    rateLimits: false,
    models: [
      ...demoModels(),
      { ...invoice, id: LOW_MODEL, name: 'Unsure invoices (simulated)', webhooks: [], confidence: 'Low' },
      { ...invoice, id: PER_PATH_MODEL, name: 'Unsure lines (simulated)', webhooks: [], confidence: { line_items: 'Medium', date: 'Low' } },
    ],
  });
});
afterAll(() => emu.close());

type Json = any;

async function fieldsOf(doc: Buffer, modelId: string = DEMO_MODELS.invoice, confidence = false): Promise<Json> {
  const { result } = await run(emu, { modelId, doc, fields: { confidence: String(confidence) } });
  expect(result.status).toBe(200);
  return result.json.inference.result.fields;
}

/** Plain values of an extraction result's fields. */
function plain(field: Json): Json {
  if ('value' in field) return field.value;
  if ('items' in field) return field.items.map(plain);
  return Object.fromEntries(Object.entries(field.fields).map(([k, v]) => [k, plain(v)]));
}

const cents = (n: number) => Math.round(n * 100);

function ibanValid(iban: string): boolean {
  const compact = iban.replace(/\s+/g, '').toUpperCase();
  const moved = `${compact.slice(4)}${compact.slice(0, 4)}`;
  let rest = 0;
  for (const c of moved) {
    const digits = /\d/.test(c) ? c : String(c.charCodeAt(0) - 55);
    for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest === 1;
}

/** The disagreements of a result, by the kinds the sample documents plant. */
function disagreements(v: Json): PlantedError[] {
  const out: PlantedError[] = [];
  const lines: Json[] = v.line_items;
  if (lines.some((l) => l.unit_price !== undefined && cents(l.quantity * l.unit_price) !== cents(l.total_price))) out.push('line_arithmetic');
  if (lines.reduce((s, l) => s + cents(l.total_price), 0) !== cents(v.total_net)) out.push('lines_sum');
  if (v.taxes.some((t: Json) => Math.abs(cents(t.base * t.rate) - cents(t.amount)) > 1)) out.push('wrong_tax');
  if ((v.supplier_payment_details ?? []).some((p: Json) => p.iban !== null && !ibanValid(p.iban))) out.push('bad_iban');
  if (v.due_date && v.due_date < v.date) out.push('due_before_issue');
  if (v.total_amount === null) out.push('missing_total');
  return out;
}

describe('documents whose facts disagree', () => {
  it('the accepted sample agrees with itself, and carries a valid IBAN', async () => {
    const v = plain({ fields: await fieldsOf(makeAcceptedInvoicePdf()) });
    expect(disagreements(v)).toEqual([]);
    expect(v.supplier_payment_details).toEqual([{ iban: SAMPLE_IBAN, swift: null, account_number: null, routing_number: null }]);
    expect(ibanValid(SAMPLE_IBAN)).toBe(true);
    expect(v.total_amount).toBe(274.8);
    expect(cents(v.total_net) + cents(v.total_tax)).toBe(cents(v.total_amount));
  });

  it.each(PLANTED_ERRORS)('the sample invoice with %s comes out with exactly that disagreement', async (plant) => {
    const v = plain({ fields: await fieldsOf(makeDisagreeingInvoicePdf(plant)) });
    expect(disagreements(v)).toEqual([plant]);
  });

  it('generated invoices and receipts: clean ones agree, each planted one disagrees in its planted way only', async () => {
    const cases: { kind: 'invoice' | 'receipt'; plant?: PlantedError; seed: number }[] = [];
    for (let seed = 0; seed < 6; seed++) cases.push({ kind: 'invoice', seed }, { kind: 'receipt', seed });
    for (const plant of PLANTED_ERRORS) for (let seed = 0; seed < 3; seed++) cases.push({ kind: 'invoice', plant, seed: seed * 2 + 100 });
    for (const plant of RECEIPT_PLANTED_ERRORS) cases.push({ kind: 'receipt', plant, seed: 7 });
    for (const c of cases) {
      let doc;
      try {
        doc = makeFinancialDocument(c);
      } catch (error) {
        // A seed that drew a country without IBANs cannot carry a bad one: said so, not faked.
        expect(c.plant).toBe('bad_iban');
        expect(String(error)).toContain('United States');
        continue;
      }
      const model = c.kind === 'invoice' ? DEMO_MODELS.invoice : DEMO_MODELS.receipt;
      const v = plain({ fields: await fieldsOf(doc.pdf, model) });
      if (c.kind === 'receipt') {
        // Receipts may carry tips: the total is net + tax + tips.
        const tips = v.tips_gratuity ?? 0;
        if (v.total_amount !== null) expect(cents(v.total_amount), JSON.stringify(c)).toBe(cents(v.total_net) + cents(v.total_tax) + cents(tips));
        v.supplier_payment_details = [];
      }
      expect(disagreements(v), JSON.stringify(c)).toEqual(c.plant ? [c.plant] : []);
      expect(v.total_amount).toBe(doc.printed.total_amount);
    }
  });

  it('a long invoice runs over pages and still adds up', async () => {
    const doc = makeFinancialDocument({ seed: 3, lines: 200 });
    const v = plain({ fields: await fieldsOf(doc.pdf) });
    expect(v.line_items).toHaveLength(200);
    expect(disagreements(v)).toEqual([]);
  });

  it('refuses a planted error a receipt cannot carry', () => {
    expect(() => makeFinancialDocument({ kind: 'receipt', plant: 'bad_iban' })).toThrow(/receipt cannot carry bad_iban/);
  });
});

describe('confidence', () => {
  const levels = (fields: Json): string[] => {
    const out: string[] = [];
    const walk = (f: Json) => {
      if ('value' in f) out.push(f.confidence);
      else if ('items' in f) f.items.forEach(walk);
      else Object.values(f.fields).forEach(walk);
    };
    Object.values(fields).forEach(walk);
    return out;
  };

  it('what a clean document says (or plainly lacks) comes out Certain or High', async () => {
    const fields = await fieldsOf(makeAcceptedInvoicePdf(), DEMO_MODELS.invoice, true);
    expect(new Set(levels(fields))).toEqual(new Set(['Certain', 'High']));
  });

  it('a document marker forces levels by path (a path covers the fields below it)', async () => {
    const fields = await fieldsOf(makeSampleInvoicePdf({ confidence: { total_amount: 'Low', line_items: 'Medium' } }), DEMO_MODELS.invoice, true);
    expect(fields.total_amount.confidence).toBe('Low');
    expect(fields.line_items.items[1].fields.quantity.confidence).toBe('Medium');
    expect(fields.line_items.confidence).toBe('Medium');
    expect(['Certain', 'High']).toContain(fields.total_net.confidence);
    // The marker is no fact: the invoice still reads the same.
    expect(fields.total_amount.value).toBe(274.8);
  });

  it('a model knob forces a level on every field, or by path; the document marker wins', async () => {
    expect(new Set(levels(await fieldsOf(makeAcceptedInvoicePdf(), LOW_MODEL, true)))).toEqual(new Set(['Low']));
    const perPath = await fieldsOf(makeAcceptedInvoicePdf(), PER_PATH_MODEL, true);
    expect(perPath.date.confidence).toBe('Low');
    expect(perPath.line_items.items[0].fields.total_price.confidence).toBe('Medium');
    expect(['Certain', 'High']).toContain(perPath.invoice_number.confidence);
    const marked = await fieldsOf(makeSampleInvoicePdf({ confidence: { date: 'High' } }), PER_PATH_MODEL, true);
    expect(marked.date.confidence).toBe('High');
    // Without the confidence option, no level at all.
    expect((await fieldsOf(makeAcceptedInvoicePdf(), LOW_MODEL, false)).date.confidence).toBeNull();
  });

  it('the models file takes the knob for extraction models only, and checks its levels', () => {
    const base = { id: LOW_MODEL, name: 'x', model_type: 'extraction' };
    expect(parseModels({ models: [{ ...base, confidence: 'Low' }] }, 'models.json')[0]!.confidence).toBe('Low');
    expect(parseModels({ models: [{ ...base, confidence: { 'line_items.1': 'Medium' } }] }, 'models.json')[0]!.confidence).toEqual({ 'line_items.1': 'Medium' });
    expect(() => parseModels({ models: [{ ...base, confidence: 'Shaky' }] }, 'models.json')).toThrow(/confidence.*Certain, High, Medium, Low/);
    expect(() => parseModels({ models: [{ ...base, model_type: 'ocr', confidence: 'Low' }] }, 'models.json')).toThrow(/confidence apply to extraction models/);
  });
});
