/**
 * Many documents in one answer: one row each, counted by status, rendered as text, and trimmed
 * to the size budget by leaving out results (each still readable by its inference id).
 */
import type { Inference } from '../client/schemas.js';
import type { Detail, PlainValue } from './fields.js';
import { clip } from '../lib/text.js';
import { trimReview } from './budget.js';
import { inferenceView } from './inference.js';
import { append, renderFields, renderReview } from './render.js';
import type { BatchCounts, BatchRow, BatchStatus, ReviewShape } from './shapes.js';
import type { InferenceReview } from '../verify/index.js';

/** The product part of a result: what a row shows. A field filter that names nothing in this document shows it whole. */
export function rowResult(inference: Inference, view: { detail?: Detail; fields?: string[] }, review?: InferenceReview | null): Record<string, unknown> {
  const v = inferenceView(inference, { ...view, unmatchedFields: 'all', review });
  const out: Record<string, unknown> = {};
  for (const key of ['review', 'fields', 'classification', 'crops', 'splits', 'ocr'] as const) if (v[key] !== undefined) out[key] = v[key];
  // A result a person reviewed (src/review) says so: its values are the reviewed ones.
  if (review && 'reviewed' in review && review.reviewed) out.reviewed = true;
  return out;
}

export function countRows(rows: BatchRow[]): BatchCounts {
  const count = (status: BatchStatus) => rows.filter((r) => r.status === status).length;
  return {
    total: rows.length,
    processed: count('Processed'),
    processing: count('Processing'),
    failed: count('Failed'),
    refused: count('Refused'),
    not_sent: count('NotSent'),
  };
}

/** Rows in a final state: what progress counts as done. */
export function isFinished(status: BatchStatus): boolean {
  return status === 'Processed' || status === 'Failed' || status === 'Refused';
}

function renderBatch(counts: BatchCounts, rows: BatchRow[], next: string | null, leftOut: string | null): string {
  const parts = [
    `${counts.total} document(s): ${counts.processed} processed, ${counts.processing} processing, ${counts.failed} failed, ${counts.refused} refused, ${counts.not_sent} not sent.`,
  ];
  rows.forEach((r, i) => {
    const ids = r.job_id ? ` (job ${r.job_id}${r.inference_id ? `, inference ${r.inference_id}` : ''})` : '';
    parts.push(`${i + 1}. ${r.source} — ${r.status}${ids}`);
    if (r.error) parts.push(`   ${r.error}`);
    if (r.result) {
      const flat: { [key: string]: PlainValue } = {};
      for (const [k, v] of Object.entries(r.result)) {
        if (k === 'review') append(parts, renderReview(v as ReviewShape, '   '));
        else if (k === 'fields') Object.assign(flat, v as object);
        else flat[k] = v as PlainValue;
      }
      append(parts, renderFields(flat, '   '));
    }
  });
  if (leftOut) parts.push(leftOut);
  if (next) parts.push(next);
  return parts.join('\n');
}

export interface FittedBatch {
  documents: BatchRow[];
  left_out: string | null;
  next: string | null;
  text: string;
}

/** How a batch answer refers to the calls that carry on (the tools phrase them). */
export interface BatchCalls {
  /** The tool that reads one result. */
  readTool: string;
  /** The call that resumes the unfinished rows, in at most `maxChars` characters, or null when nothing is left. */
  resume: (maxChars: number) => string | null;
}

/**
 * Fits a batch answer to the budget, text and structured each: first the results of later rows
 * are left out (each still readable by its inference id), then the row texts are shortened, and
 * last, rows are left out — the resume call names what they still need.
 */
export function fitBatch(counts: BatchCounts, rows: BatchRow[], budget: number, calls: BatchCalls): FittedBatch {
  const measure = (documents: BatchRow[], leftOut: string | null, next: string | null) => {
    const text = renderBatch(counts, documents, next, leftOut);
    return { text, chars: Math.max(text.length, JSON.stringify({ counts, documents, next_step: next, left_out: leftOut }).length) };
  };
  const next = calls.resume(budget);
  let documents = rows;
  let leftOut: string | null = null;
  let fitted = measure(documents, leftOut, next);
  for (let keep = rows.length; fitted.chars > budget && keep > 0; ) {
    keep = Math.max(0, Math.min(keep - 1, Math.floor(keep * 0.8)));
    const cut = rows.filter((r, i) => i >= keep && r.result !== null);
    // A row whose result is left out keeps its verdict, without the issues (they come with the result).
    documents = rows.map((r, i) => (i >= keep ? { ...r, result: r.result?.review ? { review: trimReview(r.result.review as ReviewShape, 0) } : null } : r));
    leftOut = cut.length
      ? `The results of ${cut.length} processed document(s) are left out to stay within ${budget} characters: read each with ${calls.readTool} (inference_id in its row).`
      : null;
    fitted = measure(documents, leftOut, next);
  }
  if (fitted.chars <= budget) return { documents, left_out: leftOut, next, text: fitted.text };
  if (documents.some((r) => r.result !== null)) {
    // Not even the verdicts fit: every row as its status and ids, each result (and verdict) read by its id.
    documents = rows.map((r) => ({ ...r, result: null }));
    const cut = rows.filter((r) => r.result !== null).length;
    leftOut = `The results and verdicts of ${cut} processed document(s) are left out to stay within ${budget} characters: read each with ${calls.readTool} (inference_id in its row).`;
    fitted = measure(documents, leftOut, next);
    if (fitted.chars <= budget) return { documents, left_out: leftOut, next, text: fitted.text };
  }

  // Too many rows for the budget even without results: shorter texts, then fewer rows.
  const short = documents.map((r) => ({ ...r, source: clip(r.source, 120), error: r.error === null ? null : clip(r.error, 80) }));
  const rowsOnly = (n: number) => {
    const shown = short.slice(0, n);
    const hidden = rows.slice(n);
    const resumed = calls.resume(Math.floor(budget / 3));
    const kept = hidden.filter((r) => r.status === 'Processed').length;
    const note =
      hidden.length === 0
        ? leftOut
        : `${hidden.length} row(s) after the first ${n} are left out to stay within ${budget} characters (${kept} processed: their results are kept and listed as resources; the call below resumes what still runs). Send fewer documents per call, or allow a larger answer, to see every row.`;
    return { documents: shown, leftOut: note, next: resumed, fitted: measure(shown, note, resumed) };
  };
  let n = short.length;
  let attempt = rowsOnly(n);
  while (attempt.fitted.chars > budget && n > 0) {
    n = Math.max(0, Math.min(n - 1, Math.floor(n * 0.8)));
    attempt = rowsOnly(n);
  }
  return { documents: attempt.documents, left_out: attempt.leftOut, next: attempt.next, text: attempt.fitted.text };
}
