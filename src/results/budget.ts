/**
 * Keeps an answer within a character budget. Both forms count: hosts show the model either the
 * text content or the serialised structured content, so each must fit on its own. What is left
 * out is said, with the exact call that returns the next part.
 */
import { formatPageWindow, type PageWindow } from './pages.js';
import { renderInference } from './render.js';
import type { InferenceShape, ReviewShape } from './shapes.js';

export const DEFAULT_MAX_CHARS = 20_000;
export const MIN_MAX_CHARS = 2_000;
export const MAX_MAX_CHARS = 100_000;

/** How the next call differs from this one. */
export interface ViewChange {
  pages?: string;
  fields?: string[];
  detail?: 'values';
  maxChars?: number;
}

interface NextCall {
  tool: string;
  arguments: Record<string, unknown>;
}

export interface BudgetRequest {
  maxChars: number;
  /** The call that reads this result again with a change: the tools phrase it. */
  nextCall: (change: ViewChange) => NextCall;
  /** The page window the caller asked for. */
  pages: PageWindow | null;
  /** The fields the caller asked for, if any. */
  fields?: string[];
  /** The detail asked for (default values). */
  detail?: 'values' | 'confidence' | 'full';
}

export interface Fitted {
  view: InferenceShape;
  text: string;
}

function size(view: InferenceShape): { text: string; chars: number } {
  const text = renderInference(view);
  return { text, chars: Math.max(text.length, JSON.stringify(view).length) };
}

/** The largest n in [lo, hi] for which fits(n) holds (fits is monotone), or lo - 1. */
function largest(lo: number, hi: number, fits: (n: number) => boolean): number {
  let best = lo - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (fits(mid)) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/**
 * A call that returns less than this one, for when not even the smallest part fits: plain
 * values instead of details, one field, one page, or the largest budget.
 */
function smallerCall(full: InferenceShape, request: BudgetRequest): NextCall | null {
  const call = request.nextCall;
  if ((request.detail ?? 'values') !== 'values') return call({ detail: 'values' });
  const asked = request.fields && request.fields.length > 0 ? request.fields : null;
  if (asked && asked.length > 1) return call({ fields: asked.slice(0, Math.ceil(asked.length / 2)) });
  const names = full.fields ? Object.keys(full.fields) : [];
  if (!asked && names.length > 1) return call({ fields: [names[0]!] });
  const paged = full.ocr ?? full.raw_text;
  if (paged && paged.length > 1) return call({ pages: String(paged[0]!.page) });
  if (request.maxChars < MAX_MAX_CHARS) return call({ maxChars: MAX_MAX_CHARS });
  return null;
}

/**
 * The verdict within `maxChars` of JSON: its first issues, the others counted in more_issues
 * (the verdict and the line the text starts with stay whole).
 */
export function trimReview(review: ReviewShape, maxChars: number): ReviewShape {
  if (JSON.stringify(review).length <= maxChars) return review;
  const make = (n: number): ReviewShape => {
    const cut = review.issues.length - n;
    return { ...review, issues: review.issues.slice(0, n), ...(cut > 0 || review.more_issues ? { more_issues: (review.more_issues ?? 0) + cut } : {}) };
  };
  return make(Math.max(0, largest(0, review.issues.length, (n) => JSON.stringify(make(n)).length <= maxChars)));
}

export function fitToBudget(full: InferenceShape, request: BudgetRequest): Fitted {
  // The verdict is kept whatever else is cut: at most a third of the budget goes to its issues.
  if (full.review) full = { ...full, review: trimReview(full.review, Math.floor(request.maxChars / 3)) };
  const first = size(full);
  if (first.chars <= request.maxChars) return { view: full, text: first.text };
  const budget = request.maxChars;
  const fits = (v: InferenceShape) => size(v).chars <= budget;
  const smaller = () => smallerCall(full, request);

  // 1. Page-based text (raw text, OCR): keep the first pages of the window, point at the rest.
  const pagedKey = full.ocr ? 'ocr' : full.raw_text && full.raw_text.length > 0 ? 'raw_text' : null;
  if (pagedKey) {
    const pages = (full[pagedKey] ?? []) as Array<{ page: number }>;
    const withPages = (n: number): InferenceShape => {
      const kept = pages.slice(0, n);
      const rest = pages.slice(n);
      if (rest.length === 0) return { ...full, [pagedKey]: kept };
      const nextFirst = rest[0]!.page;
      const window: PageWindow = { first: nextFirst, last: request.pages?.last ?? null };
      const what = pagedKey === 'ocr' ? 'OCR text' : 'raw text';
      return {
        ...full,
        [pagedKey]: kept,
        continuation: {
          left_out: `${what} of pages ${nextFirst}-${rest[rest.length - 1]!.page} (this answer is limited to ${budget} characters).`,
          next_call: request.nextCall({ pages: formatPageWindow(window) }),
        },
      };
    };
    const n = largest(1, pages.length, (k) => fits(withPages(k)));
    if (n >= 1) return finish(withPages(n));
    // Not even one page fits: keep one page, cut inside it.
    return finish(cutInside(withPages(1), pagedKey, budget, fits, smaller));
  }

  // 2. Extraction fields: keep the first top-level fields, point at the others by name.
  if (full.fields && Object.keys(full.fields).length > 1) {
    const names = Object.keys(full.fields);
    const withFields = (n: number): InferenceShape => {
      const keep = names.slice(0, n);
      const rest = names.slice(n);
      return {
        ...full,
        fields: Object.fromEntries(keep.map((k) => [k, full.fields![k]])),
        ...(rest.length
          ? {
              continuation: {
                left_out: `the fields ${rest.join(', ')} (this answer is limited to ${budget} characters).`,
                next_call: request.nextCall({ fields: rest }),
              },
            }
          : {}),
      };
    };
    const n = largest(1, names.length - 1, (k) => fits(withFields(k)));
    if (n >= 1) return finish(withFields(n));
    return finish(cutLists(withFields(1), budget, fits, smaller));
  }

  // 3. One huge field, or many crops/splits: shorten lists, and say where the whole JSON is.
  return finish(cutLists(full, budget, fits, smaller));

  function finish(view: InferenceShape): Fitted {
    const s = size(view);
    if (s.chars <= budget) return { view, text: s.text };
    // One huge value (a page-long string in a field): shorten the longest strings.
    const longest = largest(MIN_CLIPPED_STRING, budget, (n) => fits(clipStrings(view, n)));
    if (longest >= MIN_CLIPPED_STRING) {
      const clipped = clipStrings(view, longest);
      const note = `text values longer than ${longest} characters, cut there`;
      const withNote: InferenceShape = {
        ...clipped,
        continuation: {
          left_out: clipped.continuation ? `${note}; and ${clipped.continuation.left_out}` : `${note} (this answer is limited to ${budget} characters); the resource ${full.resource_uri} has them whole.`,
          next_call: clipped.continuation?.next_call ?? smaller(),
        },
      };
      const w = size(withNote);
      if (w.chars <= budget) return { view: withNote, text: w.text };
    }
    // Last resort: the header and a pointer to the JSON.
    const bare: InferenceShape = {
      inference_id: full.inference_id,
      job_id: full.job_id,
      model_id: full.model_id,
      product: full.product,
      file: full.file,
      active_options: null,
      resource_uri: full.resource_uri,
      ...(full.review ? { review: trimReview(full.review, Math.floor(budget / 4)) } : {}),
      ...(full.notes ? { notes: full.notes.map((n) => (n.length > 300 ? `${n.slice(0, 300)}…` : n)) } : {}),
      continuation: {
        left_out: `the whole content, which does not fit in ${budget} characters; the call below returns less, and the resource ${full.resource_uri} has all of it.`,
        next_call: smaller(),
      },
    };
    return { view: bare, text: renderInference(bare) };
  }
}

/** Drops the words of the kept page, then shortens its text. */
function cutInside(
  view: InferenceShape,
  key: 'ocr' | 'raw_text',
  budget: number,
  fits: (v: InferenceShape) => boolean,
  smaller: () => NextCall | null,
): InferenceShape {
  const page: { page: number; content: string; words?: unknown[] } | undefined = (view[key] ?? [])[0];
  if (!page) return view;
  const note = (extra: string) => ({
    left_out: `${extra}${view.continuation ? ` Also left out: ${view.continuation.left_out}` : ` (this answer is limited to ${budget} characters).`}`,
    next_call: view.continuation?.next_call ?? smaller(),
  });
  if (page.words) {
    const noWords = { ...view, [key]: [{ page: page.page, content: page.content }], continuation: note(`the word positions of page ${page.page};`) };
    if (fits(noWords)) return noWords;
    view = noWords;
  }
  const make = (chars: number): InferenceShape => ({
    ...view,
    [key]: [{ page: page.page, content: `${page.content.slice(0, chars)}…` }],
    continuation: note(`the text of page ${page.page} after its first ${chars} characters, and its word positions; read ${view.resource_uri} for all of it;`),
  });
  const n = largest(0, page.content.length, (c) => fits(make(c)));
  return make(Math.max(0, n));
}

type Json = unknown;

/** Strings are never cut shorter than this: below it, the header alone is the better answer. */
const MIN_CLIPPED_STRING = 40;

/** The content of a view with every string longer than `max` cut to it (the header is already bounded). */
function clipStrings(view: InferenceShape, max: number): InferenceShape {
  const cut = (v: Json): Json => {
    if (typeof v === 'string') return v.length > max ? `${v.slice(0, max)}…` : v;
    if (Array.isArray(v)) return v.map(cut);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cut(x)]));
    return v;
  };
  const { inference_id, job_id, model_id, product, file, active_options, resource_uri, continuation, review, ...content } = view;
  return { inference_id, job_id, model_id, product, file, active_options, resource_uri, ...(review ? { review } : {}), ...(cut(content) as Partial<InferenceShape>), ...(continuation ? { continuation } : {}) };
}

/** Shortens every list to at most `cap` items (the longest lists first), saying how many were cut. */
function capLists(value: Json, cap: number, cut: { count: number }): Json {
  if (Array.isArray(value)) {
    const kept = value.slice(0, cap).map((v) => capLists(v, cap, cut));
    if (value.length > cap) cut.count += value.length - cap;
    return kept;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, capLists(v, cap, cut)]));
  }
  return value;
}

function cutLists(view: InferenceShape, budget: number, fits: (v: InferenceShape) => boolean, smaller: () => NextCall | null): InferenceShape {
  const { inference_id, job_id, model_id, product, file, active_options, resource_uri, continuation, notes, review, ...content } = view;
  const make = (cap: number): InferenceShape => {
    const cut = { count: 0 };
    const capped = capLists(content, cap, cut) as Partial<InferenceShape>;
    return {
      inference_id,
      job_id,
      model_id,
      product,
      file,
      active_options,
      ...(review ? { review } : {}),
      ...capped,
      ...(notes ? { notes } : {}),
      resource_uri,
      continuation: {
        left_out: `${cut.count} list item(s) beyond the first ${cap} of each list${continuation ? `, and ${continuation.left_out}` : ` (this answer is limited to ${budget} characters)`}; the resource ${resource_uri} has the whole result.`,
        next_call: continuation?.next_call ?? smaller(),
      },
    };
  };
  const n = largest(0, 10_000, (cap) => fits(make(cap)));
  return make(Math.max(0, n));
}
