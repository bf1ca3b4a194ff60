/**
 * The verdict on results through the tools, against the emulator: where it appears, what it
 * says, how settings and arguments change it, what Mindee refused, and that it is kept with the
 * result.
 */
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS, demoModels } from 'mindee-v2-emulator';
import { makePdf, makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { reviewShape } from '../../src/results/shapes.js';
import { parseRules, type RuleSet } from '../../src/verify/rules.js';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { at, structuredOf } from '../helpers/structured.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** The sample invoice, every check passing, two of its values rated below High (the emulator's confidence marker). */
const unsureInvoice = () => makeSampleInvoicePdf({ confidence: { po_number: 'Medium', purchase_category: 'Low' } });

async function extract(args: Record<string, unknown> = {}, model: string = DEMO_MODELS.invoice) {
  const path = await h.write('invoice.pdf', unsureInvoice());
  const result = await h.call('enqueue_document', { model_id: model, file_path: path, ...args });
  expect(result.isError, textOf(result)).toBeFalsy();
  return { result, sc: structuredOf('enqueue_document', result), text: textOf(result) };
}

describe('the verdict on an extraction', () => {
  it('comes with enqueue_document, its text starting with the line to act on, each doubt with its page and box', async () => {
    h = await startHarness();
    const { sc, text } = await extract();
    const review = sc.result!.review!;
    // Confidence and locations are asked for by default.
    expect(sc.result!.active_options).toMatchObject({ confidence: true, polygon: true });
    expect(review.verdict).toBe('needs_review');
    expect(review.passed).toBe(review.checks);
    expect(review.issues.length).toBeGreaterThan(0);
    for (const issue of review.issues) {
      expect(issue.kind).toBe('low_confidence');
      expect(issue.message).toMatch(/ confidence (Medium|Low)$/);
    }
    const placed = review.issues.filter((i) => i.page !== undefined);
    expect(placed.length).toBeGreaterThan(0);
    for (const issue of placed) {
      expect(issue.page).toBe(1);
      expect(issue.box).toHaveLength(4);
      for (const n of issue.box!) expect(n >= 0 && n <= 1).toBe(true);
    }
    expect(text.split('\n')[0]).toBe(`Needs review (${review.issues.length}): ${review.issues.map((i) => i.message).join('; ')}`);
    expect(text.split('\n')[1]).toMatch(/^Where: \S+ p1 \[/);
  });

  it('accepts the same invoice with a lower threshold: every built-in check passes', async () => {
    h = await startHarness();
    const { sc, text } = await extract({ min_confidence: 'Low' });
    expect(sc.result!.review).toMatchObject({ verdict: 'accept', issues: [], checks: 12, passed: 12, lowest_confidence: 'Low', unchecked: [] });
    expect(text.split('\n')[0]).toBe('Checked: 12 checks passed, lowest confidence Low');
  });

  it('adds at most 60 tokens to a clean result\'s text', async () => {
    h = await startHarness({ settings: { verify: { minConfidence: 'Low', rules: null, confidence: true, polygon: true } } });
    const { sc, text } = await extract();
    expect(sc.result!.review!.verdict).toBe('accept');
    const bare = textOf(await h.call('get_inference_result', { inference_id: sc.result!.inference_id, checks: false }));
    const encoder = new Tiktoken(cl100k);
    const added = encoder.encode(text).length - encoder.encode(bare).length;
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThanOrEqual(60);
  });

  it('is left out with checks: false', async () => {
    h = await startHarness();
    const { sc, text } = await extract({ checks: false });
    expect(sc.result!.review).toBeUndefined();
    expect(text).toMatch(/^Result /);
  });

  it('says when the result has no confidences instead of pretending', async () => {
    h = await startHarness({ settings: { verify: { minConfidence: 'High', rules: null, confidence: false, polygon: false } } });
    const { sc } = await extract();
    expect(sc.result!.active_options).toMatchObject({ confidence: false, polygon: false });
    expect(sc.result!.review).toMatchObject({ verdict: 'accept', lowest_confidence: null, unchecked: ['confidence: the result has none (the confidence option was off)'] });
  });

  it('is verified once and kept with the result: get_inference_result and the resource give the same verdict', async () => {
    h = await startHarness();
    const { sc } = await extract();
    const id = sc.result!.inference_id;
    const kept = await h.client.results.getReview(id);
    expect(kept?.key).toBe('High|-');
    expect(JSON.parse(kept!.json).review).toEqual(sc.result!.review);
    const again = structuredOf('get_inference_result', await h.call('get_inference_result', { inference_id: id, fields: ['total_amount'] }));
    // The verdict is on the whole result, whatever fields are shown.
    expect(again.review).toEqual(sc.result!.review);
    const resource = await h.mcp.readResource({ uri: `mindee://inferences/${id}` });
    const body = JSON.parse((resource.contents[0] as { text: string }).text);
    expect(body.review).toEqual(sc.result!.review);
    // Another threshold is another verdict, kept in its place.
    const low = structuredOf('get_inference_result', await h.call('get_inference_result', { inference_id: id, min_confidence: 'Low' }));
    expect(low.review!.verdict).toBe('accept');
    expect((await h.client.results.getReview(id))?.key).toBe('Low|-');
  });

  it('applies the rules file of the model, naming the rule that failed', async () => {
    const rules = parseRules('invoice:\n  required: [po_number]\n  fields:\n    locale.currency: { one_of: [EUR] }\n  checks:\n    - { name: small, expr: "total_amount < 100", path: total_amount }\n', 'rules.yaml', { invoice: DEMO_MODELS.invoice });
    h = await startHarness({ settings: { verify: { minConfidence: 'Low', rules, confidence: true, polygon: true } } });
    const { sc, text } = await extract();
    const kinds = sc.result!.review!.issues.map((i) => `${i.kind} ${i.path}`);
    expect(kinds).toEqual(['failed_check total_amount', 'missing po_number', 'invalid_format locale.currency']);
    const small = sc.result!.review!.issues[0];
    expect(small!.message).toBe('rule "small" failed: total_amount < 100');
    expect(small!.page).toBe(1);
    expect(text.split('\n')[0]).toBe('Needs review (3): rule "small" failed: total_amount < 100; po_number is missing (required by the rules); locale.currency "GBP" is not one of ["EUR"]');
    expect((await h.client.results.getReview(sc.result!.inference_id))?.key).toBe(`Low|${rules.id}`);
  });
});

describe('a bug in the checks', () => {
  it('costs neither the result nor the truth: the verdict says review it, the log has the error', async () => {
    const broken = { id: 'broken', forModel: () => ({}), apply: () => Promise.reject(new Error('boom in a rule')) } as unknown as RuleSet;
    h = await startHarness({ settings: { verify: { minConfidence: 'Low', rules: broken, confidence: true, polygon: true } } });
    const { sc, text } = await extract();
    expect(sc.result!.fields!.invoice_number).toBe('INV-2026-0042');
    expect(sc.result!.review).toMatchObject({ verdict: 'needs_review', checks: 0, unchecked: ['checks: an internal error stopped them'] });
    expect(text.split('\n')[0]).toBe('Needs review (1): the checks could not run (an internal error of this server, logged): review the result yourself; not checked: checks');
    expect(h.logs.some((l) => l.includes('the checks of result') && l.includes('boom in a rule'))).toBe(true);
  });
});

describe('an option Mindee refuses for the account', () => {
  const refusing = (option: 'confidence' | 'polygon') => demoModels().map((m) => (m.id === DEMO_MODELS.invoice ? { ...m, refusedOptions: [option] } : m));

  it('is dropped once, and the verdict says what could not be checked', async () => {
    h = await startHarness({ emulator: { models: refusing('confidence') } });
    const { sc, text } = await extract();
    // Refused once (402), sent again without the option.
    expect(h.emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/enqueue')).map((r) => r.status)).toEqual([402, 202]);
    expect(sc.result!.active_options).toMatchObject({ confidence: false, polygon: true });
    expect(sc.result!.review!.unchecked).toEqual(['confidence: Mindee refused the confidence option for this account, so the result has none']);
    expect(sc.result!.review!.lowest_confidence).toBeNull();
    expect(text.split('\n')[0]).toBe('Checked: 12 checks passed; not checked: confidence');
    // The verdict kept with the result still says so when the result is read again.
    const again = structuredOf('get_inference_result', await h.call('get_inference_result', { inference_id: sc.result!.inference_id }));
    expect(again.review!.unchecked).toEqual(sc.result!.review!.unchecked);
  });

  it('is not dropped when the call asked for it: the refusal is the answer', async () => {
    h = await startHarness({ emulator: { models: refusing('polygon') } });
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
    const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, polygon: true });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('HTTP 402');
    expect(textOf(result)).toContain('polygon');
  });
});

describe('verdicts of the other products and of batches', () => {
  const pages = (n: number) => makePdf({ pages: Array.from({ length: n }, (_, i) => [`Page ${i + 1}`]) });

  it('classification and split: each nested extraction has its own, the result their sum with paths into the answer', async () => {
    h = await startHarness();
    const path = await h.write('doc.pdf', makeSampleInvoicePdf());
    const classification = structuredOf('enqueue_document', await h.call('enqueue_document', { model_id: DEMO_MODELS.classification, product: 'classification', file_path: path }));
    const nested = reviewShape.parse(classification.result!.classification!.review);
    expect(nested.verdict).toMatch(/accept|needs_review/);
    expect(classification.result!.review!.issues.map((i) => i.path)).toEqual(nested.issues.map((i) => `classification.fields.${i.path}`));

    const split = structuredOf('enqueue_document', await h.call('enqueue_document', { model_id: DEMO_MODELS.split, product: 'split', file_path: await h.write('pages.pdf', pages(4)) }));
    const splits = split.result!.splits!;
    expect(splits.length).toBeGreaterThan(0);
    for (const s of splits) expect(s.review!.verdict).toMatch(/accept|needs_review/);
    const total = splits.map((s) => reviewShape.parse(s.review)).reduce((n, review) => n + review.issues.length + (review.more_issues ?? 0), 0);
    expect(split.result!.review!.issues.length + (split.result!.review!.more_issues ?? 0)).toBe(total);
    for (const issue of split.result!.review!.issues) expect(issue.path).toMatch(/^splits\.\d+\.fields\./);
  });

  it('OCR has none', async () => {
    h = await startHarness();
    const ocr = structuredOf('enqueue_document', await h.call('enqueue_document', { model_id: DEMO_MODELS.ocr, product: 'ocr', file_path: await h.write('p.pdf', pages(1)) }));
    expect(ocr.result!.review).toBeUndefined();
  });

  it('enqueue_documents: a verdict on each row, in its text too', async () => {
    h = await startHarness({ settings: { verify: { minConfidence: 'Low', rules: null, confidence: true, polygon: true } } });
    const a = await h.write('a.pdf', unsureInvoice());
    const b = await h.write('b.pdf', unsureInvoice());
    const result = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [a, b] });
    const sc = structuredOf('enqueue_documents', result);
    expect(sc.documents.map((d) => at(d.result, 'review', 'verdict'))).toEqual(['accept', 'accept']);
    expect(textOf(result).match(/^ {3}Checked: 12 checks passed, lowest confidence Low$/gm)).toHaveLength(2);
    const skipped = structuredOf('enqueue_documents', await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [a], checks: false }));
    expect(at(skipped.documents[0]!.result, 'review')).toBeUndefined();
  });
});
