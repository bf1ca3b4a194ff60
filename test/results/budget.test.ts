import { describe, expect, it } from 'vitest';
import { fitToBudget, type ViewChange } from '../../src/results/budget.js';
import { inferenceView } from '../../src/results/inference.js';
import { parsePageWindow } from '../../src/results/pages.js';
import { inferenceShape } from '../../src/results/shapes.js';
import { inference, invoiceFields, ocrResult } from '../helpers/inferences.js';

/** What the tool does: the same call with the change applied. */
const nextCall = (callArgs: Record<string, unknown>) => (change: ViewChange) => {
  const { maxChars, ...rest } = change;
  return { tool: 'get_inference_result', arguments: { ...callArgs, ...rest, ...(maxChars === undefined ? {} : { max_chars: maxChars }) } };
};

const sizeOf = (f: { view: unknown; text: string }) => Math.max(f.text.length, JSON.stringify(f.view).length);

describe('fitToBudget', () => {
  it('leaves an answer that fits untouched', () => {
    const view = inferenceView(inference({ fields: invoiceFields(2) }));
    const fitted = fitToBudget(view, { maxChars: 20_000, nextCall: nextCall({ inference_id: 'inf-1' }), pages: null });
    expect(fitted.view).toBe(view);
    expect(fitted.view.continuation).toBeUndefined();
  });

  it('reads a 40-page OCR result window by window, every answer within the budget, no page lost or repeated', () => {
    const inf = inference(ocrResult(40, 150), 40);
    const seen: number[] = [];
    let args: Record<string, unknown> = { inference_id: 'inf-1' };
    for (let calls = 0; calls < 40; calls++) {
      const pages = parsePageWindow(args.pages as string | undefined);
      const fitted = fitToBudget(inferenceView(inf, { pages }), { maxChars: 8_000, nextCall: nextCall(args), pages });
      expect(sizeOf(fitted)).toBeLessThanOrEqual(8_000);
      expect(inferenceShape.strict().parse(fitted.view)).toBeTruthy();
      seen.push(...fitted.view.ocr!.map((p) => p.page));
      const next = fitted.view.continuation?.next_call;
      if (!next) break;
      expect(next.tool).toBe('get_inference_result');
      expect(fitted.text).toContain(`Next: call get_inference_result with ${JSON.stringify(next.arguments)}`);
      args = next.arguments;
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('keeps the end of a bounded window in the next call', () => {
    const inf = inference(ocrResult(40, 150), 40);
    const pages = parsePageWindow('5-12');
    const fitted = fitToBudget(inferenceView(inf, { pages }), { maxChars: 6_000, nextCall: nextCall({ inference_id: 'x', pages: '5-12' }), pages });
    const next = fitted.view.continuation!.next_call!.arguments.pages as string;
    expect(next).toMatch(/^\d+-12$/);
    expect(Number(next.split('-')[0])).toBe(fitted.view.ocr!.at(-1)!.page + 1);
  });

  it('drops word positions, then cuts inside a page too big on its own', () => {
    const inf = inference(ocrResult(2, 2_000), 2);
    const fitted = fitToBudget(inferenceView(inf, { detail: 'full' }), { maxChars: 5_000, nextCall: nextCall({ inference_id: 'x' }), pages: null });
    expect(sizeOf(fitted)).toBeLessThanOrEqual(5_000);
    expect(fitted.view.ocr).toHaveLength(1);
    expect(fitted.view.ocr![0]!.words).toBeUndefined();
    expect(fitted.view.continuation!.left_out).toContain('after its first');
    expect(fitted.view.continuation!.next_call!.arguments.pages).toBe('2-');
  });

  it('splits many fields across calls by name', () => {
    const fields = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`field_${i}`, { value: 'x'.repeat(200) }]));
    const fitted = fitToBudget(inferenceView(inference({ fields })), { maxChars: 4_000, nextCall: nextCall({ inference_id: 'x', detail: 'values' }), pages: null });
    expect(sizeOf(fitted)).toBeLessThanOrEqual(4_000);
    const kept = Object.keys(fitted.view.fields!);
    const rest = fitted.view.continuation!.next_call!.arguments.fields as string[];
    expect([...kept, ...rest]).toEqual(Object.keys(fields));
    expect(fitted.view.continuation!.next_call!.arguments.detail).toBe('values');
  });

  it('shortens one huge list field and says how many items were left out', () => {
    const fitted = fitToBudget(inferenceView(inference({ fields: { line_items: invoiceFields(2_000).line_items } })), {
      maxChars: 5_000, nextCall: nextCall({ inference_id: 'x' }),
      pages: null,
    });
    expect(sizeOf(fitted)).toBeLessThanOrEqual(5_000);
    const items = (fitted.view.fields!.line_items as unknown[]).length;
    expect(items).toBeGreaterThan(5);
    expect(fitted.view.continuation!.left_out).toContain(`${2_000 - items} list item(s)`);
    expect(fitted.view.continuation!.left_out).toContain('mindee://inferences/inf-1');
    // Nothing more fits at this size: the next call asks for a larger budget.
    expect(fitted.view.continuation!.next_call).toEqual({ tool: 'get_inference_result', arguments: { inference_id: 'x', max_chars: 100_000 } });
  });

  it('always offers a smaller call when even one field at full detail does not fit', () => {
    const fields = invoiceFields(200);
    const view = inferenceView(inference({ fields }), { detail: 'full' });
    const fitted = fitToBudget(view, { maxChars: 2_000, nextCall: nextCall({ inference_id: 'x', detail: 'full', max_chars: 2_000 }), pages: null, detail: 'full' });
    expect(sizeOf(fitted)).toBeLessThanOrEqual(2_000);
    const next = fitted.view.continuation!.next_call;
    expect(next).not.toBeNull();
    expect(next!.tool).toBe('get_inference_result');
    expect(next!.arguments.inference_id).toBe('x');
  });
});
