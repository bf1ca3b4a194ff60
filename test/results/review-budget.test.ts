/** The verdict within the size budget: kept whatever else is cut, its issues shortened to fit, its line first. */
import { describe, expect, it } from 'vitest';
import { fitToBudget, type ViewChange } from '../../src/results/budget.js';
import { inferenceView } from '../../src/results/inference.js';
import { inferenceShape } from '../../src/results/shapes.js';
import { verifyInferenceSync } from '../../src/verify/index.js';
import { inference } from '../helpers/inferences.js';
import { cleanInvoice, rawFields } from '../helpers/raw-fields.js';

const nextCall = (change: ViewChange) => ({ tool: 'get_inference_result', arguments: { inference_id: 'inf-1', ...change } });
const sizeOf = (f: { view: unknown; text: string }) => Math.max(f.text.length, JSON.stringify(f.view).length);

/** A 300-line invoice whose every value is rated Low: 50 issues listed, the rest counted. */
function doubtful() {
  const lines = Array.from({ length: 300 }, (_, i) => ({ description: `Line ${i} ${'x'.repeat(40)}`, quantity: 1, unit_price: 2, total_price: 2 }));
  const doc = { ...cleanInvoice(), line_items: lines, taxes: [], total_net: 600, total_tax: 0, total_amount: 600 };
  const inf = inference({ fields: rawFields(doc, { confidence: 'Low', at: { total_amount: { page: 0, box: [0.5, 0.5, 0.6, 0.52] } } }) });
  return { inf, review: verifyInferenceSync(inf, {})! };
}

describe('the verdict and the size budget', () => {
  it.each([
    [2_000, true],
    [5_000, true],
    [20_000, false],
  ])('keeps the verdict within %i characters, its line first (issues shortened: %s)', (maxChars, shortened) => {
    const { inf, review } = doubtful();
    expect(review.review.issues).toHaveLength(50);
    const fitted = fitToBudget(inferenceView(inf, { review }), { maxChars, nextCall, pages: null });
    expect(sizeOf(fitted)).toBeLessThanOrEqual(maxChars);
    expect(inferenceShape.strict().parse(fitted.view)).toBeTruthy();
    const kept = fitted.view.review!;
    expect(kept.verdict).toBe('needs_review');
    // Every issue is listed or counted.
    expect(kept.issues.length + (kept.more_issues ?? 0)).toBe(review.review.issues.length + (review.review.more_issues ?? 0));
    expect(kept.issues.length < 50).toBe(shortened);
    expect(fitted.text.split('\n')[0]).toMatch(/^Needs review \(\d+\): invoice_number confidence Low; /);
  });

  it('a verdict that fits is kept whole', () => {
    const inf = inference({ fields: rawFields(cleanInvoice(), { confidence: 'High' }) });
    const review = verifyInferenceSync(inf, {})!;
    const fitted = fitToBudget(inferenceView(inf, { review }), { maxChars: 20_000, nextCall, pages: null });
    expect(fitted.view.review).toEqual(review.review);
    expect(fitted.text.split('\n')[0]).toBe('Checked: 12 checks passed, lowest confidence High');
  });
});
