/** Inference responses built by the tests themselves, in the documented Mindee v2 shapes. */
import { inferenceSchema, type Inference } from '../../src/client/schemas.js';

const file = (pages: number) => ({ name: 'doc.pdf', alias: null, page_count: pages, mime_type: 'application/pdf' });
const poly = (i: number) => [[0.1, i / 100], [0.2, i / 100], [0.2, i / 100 + 0.01], [0.1, i / 100 + 0.01]];

export function inference(result: Record<string, unknown>, pages = 1, extra: Record<string, unknown> = {}): Inference {
  return inferenceSchema.parse({ id: 'inf-1', job: { id: 'job-1' }, model: { id: 'model-1' }, file: file(pages), result, ...extra });
}

export function invoiceFields(lineItems = 2) {
  return {
    invoice_number: { value: 'INV-1', confidence: null, locations: [] },
    total_amount: { value: 120.5, confidence: null, locations: [] },
    supplier_address: { fields: { city: { value: 'Bristol' }, country: { value: 'UK' } } },
    line_items: {
      items: Array.from({ length: lineItems }, (_, i) => ({
        fields: { description: { value: `Item ${i + 1}` }, quantity: { value: i + 1 } },
      })),
    },
  };
}

export function ocrResult(pageCount: number, wordsPerPage = 50) {
  return {
    pages: Array.from({ length: pageCount }, (_, p) => {
      const words = Array.from({ length: wordsPerPage }, (_, w) => ({ content: `p${p + 1}w${w + 1}`, polygon: poly(w) }));
      return { content: words.map((w) => w.content).join(' '), words };
    }),
  };
}
