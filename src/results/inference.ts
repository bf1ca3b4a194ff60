/**
 * One inference of any product → the answer a model reads: plain fields at the detail asked,
 * only the fields asked, only the pages asked. Sizing to the budget is budget.ts's job.
 */
import { MindeeInputError } from '../client/errors.js';
import type { Inference, Product } from '../client/schemas.js';
import { FieldBudget, availablePaths, isRecord, numberPolygon, plainFields, selectFields, type Detail, type PlainValue } from './fields.js';
import { clip } from '../lib/text.js';
import { pagesIn, type PageWindow } from './pages.js';
import type { InferenceShape, ReviewShape } from './shapes.js';
import type { InferenceReview } from '../verify/index.js';

export interface ViewOptions {
  detail?: Detail;
  /** Dotted field paths to keep; all when absent. */
  fields?: string[];
  /** Pages of raw text and OCR to include; all when null. */
  pages?: PageWindow | null;
  /** When none of `fields` exists: refuse with the fields there are (default), or show them all. */
  unmatchedFields?: 'error' | 'all';
  /** The verdict on the whole result (src/verify), shown whatever `fields` keeps. */
  review?: InferenceReview | null;
}

/**
 * The resource of a result: `mindee://inferences/{id}`, with `?product=` for the products other
 * than extraction, so that a process that has not kept it reads it from the right route.
 */
export const resourceUri = (inferenceId: string, product?: Product | null) =>
  `mindee://inferences/${encodeURIComponent(inferenceId)}${product && product !== 'extraction' ? `?product=${product}` : ''}`;

/** Which product produced a result, told from its keys. */
export function productOf(result: Record<string, unknown>): Product {
  if ('classification' in result) return 'classification';
  if ('crops' in result) return 'crop';
  if ('splits' in result) return 'split';
  if ('pages' in result && !('fields' in result)) return 'ocr';
  return 'extraction';
}

/** The options Mindee reports, bounded: a few keys of short values (they are flags and a schema summary). */
function boundedOptions(options: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!options) return null;
  const small = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return clip(v, 100);
    if (v === null || typeof v !== 'object') return v;
    if (depth >= 2) return Array.isArray(v) ? `[${v.length} items]` : '{…}';
    if (Array.isArray(v)) return v.slice(0, 10).map((x) => small(x, depth + 1));
    return Object.fromEntries(Object.entries(v).slice(0, 10).map(([k, x]) => [clip(k, 60), small(x, depth + 1)]));
  };
  return Object.fromEntries(Object.entries(options).slice(0, 20).map(([k, v]) => [clip(k, 60), small(v, 0)]));
}

/** [x_min, y_min, x_max, y_max] of a polygon, in one pass (a spread of a huge polygon overflows the stack). */
function boundingBox(poly: number[][]): number[] {
  if (poly.length === 0) return [];
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of poly) {
    const x = p[0] ?? 0;
    const y = p[1] ?? 0;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return [x0, y0, x1, y1];
}

class FieldView {
  readonly missing = new Set<string>();
  readonly available = new Set<string>();
  readonly budget = new FieldBudget();
  matched = false;
  constructor(private readonly options: ViewOptions) {}

  /** Plain fields of an extraction `fields` object, filtered as asked. */
  plain(raw: unknown): { [key: string]: PlainValue } {
    if (!isRecord(raw)) return {};
    let fields = raw;
    if (this.options.fields && this.options.fields.length > 0) {
      const { selected, missing } = selectFields(raw, this.options.fields);
      for (const m of missing) this.missing.add(m);
      for (const p of availablePaths(raw)) this.available.add(p);
      if (Object.keys(selected).length > 0) this.matched = true;
      fields = selected;
    } else {
      this.matched = true;
    }
    return plainFields(fields, this.options.detail ?? 'values', this.budget);
  }

  /** Fields of a nested `extraction_response`, or null when there is none. */
  nested(response: unknown): { [key: string]: PlainValue } | null {
    if (!isRecord(response) || !isRecord(response.inference) || !isRecord(response.inference.result)) return null;
    return this.plain(response.inference.result.fields);
  }
}

export function inferenceView(inference: Inference, options: ViewOptions = {}): InferenceShape {
  const result = inference.result;
  const product = productOf(result);
  const detail = options.detail ?? 'values';
  const fields = new FieldView(options);
  // What the API says of the document is quoted with a bound: the size budget is for the content.
  const q = (s: string | null | undefined, max = 300) => (s === null || s === undefined ? null : clip(s, max));
  const view: InferenceShape = {
    inference_id: clip(inference.id, 200),
    job_id: q(inference.job?.id, 200),
    model_id: q(inference.model?.id, 200),
    product,
    file: {
      name: q(inference.file?.name),
      alias: q(inference.file?.alias),
      page_count: inference.file?.page_count ?? null,
      mime_type: q(inference.file?.mime_type, 100),
    },
    active_options: boundedOptions(inference.active_options),
    resource_uri: resourceUri(clip(inference.id, 200), product),
  };
  if (options.review) view.review = options.review.review;
  const nestedReview = (at: string): ReviewShape | undefined => options.review?.nested.find((n) => n.at === at)?.review;

  switch (product) {
    case 'extraction': {
      view.fields = fields.plain(result.fields);
      if (options.unmatchedFields === 'all' && !fields.matched) view.fields = plainFields(isRecord(result.fields) ? result.fields : {}, detail, fields.budget);
      // Asking for fields narrows the answer to them; the page text comes with a page window.
      const narrowed = options.fields !== undefined && options.fields.length > 0 && !options.pages;
      if (narrowed && isRecord(result.raw_text) && Array.isArray(result.raw_text.pages) && result.raw_text.pages.length > 0) {
        (view.notes ??= []).push('The page text is left out because fields were asked for; ask for a page window (pages) to read it.');
      } else if (isRecord(result.raw_text) && Array.isArray(result.raw_text.pages)) {
        const pages = result.raw_text.pages;
        view.raw_text = pagesIn(options.pages ?? null, pages.length).map((page) => {
          const p: unknown = pages[page - 1];
          return { page, content: isRecord(p) && typeof p.content === 'string' ? p.content : '' };
        });
      }
      // The RAG match is part of a whole result, not of the fields asked for.
      if ('rag' in result && !narrowed) {
        const rag = isRecord(result.rag) ? result.rag : null;
        view.rag = rag ? { retrieved_document_id: typeof rag.retrieved_document_id === 'string' ? rag.retrieved_document_id : null } : null;
      }
      break;
    }
    case 'classification': {
      const c = isRecord(result.classification) ? result.classification : {};
      view.classification = {
        document_type: typeof c.document_type === 'string' ? c.document_type : null,
        fields: fields.nested(c.extraction_response),
      };
      const review = nestedReview('classification');
      if (review) view.classification.review = review;
      break;
    }
    case 'crop': {
      const crops = Array.isArray(result.crops) ? result.crops.filter(isRecord) : [];
      view.crops = crops.map((c, i) => {
        const location = isRecord(c.location) ? c.location : {};
        const poly = numberPolygon(location.polygon);
        const review = nestedReview(`crops.${i}`);
        return {
          object_type: typeof c.object_type === 'string' ? c.object_type : null,
          page: (typeof location.page === 'number' ? location.page : 0) + 1,
          box: boundingBox(poly),
          ...(detail === 'full' ? { polygon: poly } : {}),
          fields: fields.nested(c.extraction_response),
          ...(review ? { review } : {}),
        };
      });
      break;
    }
    case 'split': {
      const splits = Array.isArray(result.splits) ? result.splits.filter(isRecord) : [];
      view.splits = splits.map((s, i) => {
        const range = Array.isArray(s.page_range) ? s.page_range : [];
        const first = typeof range[0] === 'number' ? range[0] : 0;
        const last = typeof range[1] === 'number' ? range[1] : first;
        const review = nestedReview(`splits.${i}`);
        return {
          document_type: typeof s.document_type === 'string' ? s.document_type : null,
          first_page: first + 1,
          last_page: last + 1,
          fields: fields.nested(s.extraction_response),
          ...(review ? { review } : {}),
        };
      });
      break;
    }
    case 'ocr': {
      const pages = Array.isArray(result.pages) ? result.pages : [];
      view.ocr = pagesIn(options.pages ?? null, pages.length).map((page) => {
        const p = isRecord(pages[page - 1]) ? (pages[page - 1] as Record<string, unknown>) : {};
        const entry: NonNullable<InferenceShape['ocr']>[number] = { page, content: typeof p.content === 'string' ? p.content : '' };
        if (detail === 'full') {
          entry.words = (Array.isArray(p.words) ? p.words.filter(isRecord) : []).map((w) => ({
            content: typeof w.content === 'string' ? w.content : '',
            polygon: numberPolygon(w.polygon),
          }));
        }
        return entry;
      });
      break;
    }
  }

  if (options.fields && options.fields.length > 0 && options.unmatchedFields !== 'all') {
    if (!fields.matched && fields.available.size > 0) {
      throw new MindeeInputError(`None of the requested fields exist in this result: ${clip(options.fields.join(', '), 300)}.`, {
        code: 'unknown_fields',
        hint: `Available fields: ${clip([...fields.available].join(', '), 2000)}.`,
      });
    }
    if (fields.missing.size > 0) {
      view.notes = [`Requested fields not in this result: ${clip([...fields.missing].join(', '), 300)}.`];
    }
  }
  if (fields.budget.exhausted) {
    (view.notes ??= []).push(`This result has more than ${fields.budget.max} fields and list items; only the first ${fields.budget.max} are shown. The full JSON is ${view.resource_uri}.`);
  }
  if (options.pages && (view.raw_text?.length === 0 || view.ocr?.length === 0)) {
    (view.notes ??= []).push(`The page window is past the last page (the document has ${view.file.page_count ?? 'fewer'} pages).`);
  }
  return view;
}
