import { describe, expect, it } from 'vitest';
import { MindeeInputError } from '../../src/client/errors.js';
import { inferenceView, productOf } from '../../src/results/inference.js';
import { parsePageWindow } from '../../src/results/pages.js';
import { renderInference } from '../../src/results/render.js';
import { inferenceShape } from '../../src/results/shapes.js';
import { inference, invoiceFields, ocrResult } from '../helpers/inferences.js';

const nested = (fields: Record<string, unknown>) => ({ inference: { id: 'n-1', result: { fields } } });

describe('inferenceView per product', () => {
  it('tells the product from the result keys', () => {
    expect(productOf({ fields: {} })).toBe('extraction');
    expect(productOf({ classification: {} })).toBe('classification');
    expect(productOf({ crops: [] })).toBe('crop');
    expect(productOf({ splits: [] })).toBe('split');
    expect(productOf({ pages: [] })).toBe('ocr');
  });

  it('classification: the document type, and the chained extraction as plain fields', () => {
    const view = inferenceView(inference({ classification: { document_type: 'invoice', extraction_response: nested(invoiceFields(1)) } }));
    expect(view.classification).toEqual({
      document_type: 'invoice',
      fields: {
        invoice_number: 'INV-1',
        total_amount: 120.5,
        supplier_address: { city: 'Bristol', country: 'UK' },
        line_items: [{ description: 'Item 1', quantity: 1 }],
      },
    });
    expect(inferenceShape.strict().parse(view)).toBeTruthy();
    expect(renderInference(view)).toContain('document_type: invoice\ninvoice_number: INV-1');
  });

  it('crop: objects with a 1-based page and a bounding box; the polygon at full detail', () => {
    const crops = {
      crops: [
        { object_type: 'receipt', location: { page: 1, polygon: [[0.5, 0.1], [0.9, 0.1], [0.9, 0.8], [0.5, 0.8]] }, extraction_response: null },
      ],
    };
    const view = inferenceView(inference(crops, 2));
    expect(view.crops).toEqual([{ object_type: 'receipt', page: 2, box: [0.5, 0.1, 0.9, 0.8], fields: null }]);
    expect(inferenceView(inference(crops, 2), { detail: 'full' }).crops?.[0]?.polygon).toHaveLength(4);
    expect(renderInference(view)).toContain('1. receipt on page 2, box [0.5, 0.1, 0.9, 0.8]');
  });

  it('split: sub-documents with 1-based inclusive page ranges', () => {
    const view = inferenceView(
      inference(
        {
          splits: [
            { page_range: [0, 0], document_type: 'passport', extraction_response: null },
            { page_range: [1, 3], document_type: 'invoice', extraction_response: nested({ total: { value: 3 } }) },
          ],
        },
        4,
      ),
    );
    expect(view.splits).toEqual([
      { document_type: 'passport', first_page: 1, last_page: 1, fields: null },
      { document_type: 'invoice', first_page: 2, last_page: 4, fields: { total: 3 } },
    ]);
    expect(renderInference(view)).toContain('2. invoice, pages 2-4\n     total: 3');
  });

  it('ocr: page text in the window, words only at full detail', () => {
    const result = ocrResult(5, 3);
    const view = inferenceView(inference(result, 5), { pages: parsePageWindow('2-3') });
    expect(view.ocr?.map((p) => p.page)).toEqual([2, 3]);
    expect(view.ocr?.[0]).toEqual({ page: 2, content: 'p2w1 p2w2 p2w3' });
    const full = inferenceView(inference(result, 5), { pages: parsePageWindow('5'), detail: 'full' });
    expect(full.ocr?.[0]?.words).toHaveLength(3);
    expect(inferenceShape.strict().parse(full)).toBeTruthy();
  });

  it('extraction: keeps only the requested field paths, through lists', () => {
    const view = inferenceView(inference({ fields: invoiceFields(2) }), {
      fields: ['total_amount', 'supplier_address.city', 'line_items.description', 'nope'],
    });
    expect(view.fields).toEqual({
      total_amount: 120.5,
      supplier_address: { city: 'Bristol' },
      line_items: [{ description: 'Item 1' }, { description: 'Item 2' }],
    });
    expect(view.notes).toEqual(['Requested fields not in this result: nope.']);
  });

  it('refuses a field list that matches nothing, listing the fields there are', () => {
    const error = (() => {
      try {
        inferenceView(inference({ fields: invoiceFields(1) }), { fields: ['totl'] });
      } catch (e) {
        return e as MindeeInputError;
      }
    })();
    expect(error).toBeInstanceOf(MindeeInputError);
    expect(error?.hint).toContain('supplier_address.city');
    expect(error?.hint).toContain('line_items.description');
  });
});

describe('parsePageWindow', () => {
  it('reads N, N-M and N-', () => {
    expect(parsePageWindow('3')).toEqual({ first: 3, last: 3 });
    expect(parsePageWindow(' 2 - 5 ')).toEqual({ first: 2, last: 5 });
    expect(parsePageWindow('4-')).toEqual({ first: 4, last: null });
    expect(parsePageWindow(undefined)).toBeNull();
  });
  it.each(['0', '3-1', 'a', '1,2', '-2'])('refuses %j', (w) => {
    expect(() => parsePageWindow(w)).toThrow(/Invalid page window/);
  });
});
