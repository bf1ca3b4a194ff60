/**
 * Many documents in one answer: one row each, counted by status, rendered as text, and trimmed
 * to the size budget by leaving out results (each still readable by its inference id).
 */
import type { Inference } from '../client/schemas.js';
import type { Detail, PlainValue } from './fields.js';
import { inferenceView } from './inference.js';
import { append, renderFields } from './render.js';
import type { BatchCounts, BatchRow, BatchStatus } from './shapes.js';

/** The product part of a result: what a row shows. A field filter that names nothing in this document shows it whole. */
export function rowResult(inference: Inference, view: { detail?: Detail; fields?: string[] }): Record<string, unknown> {
  const v = inferenceView(inference, { ...view, unmatchedFields: 'all' });
  const out: Record<string, unknown> = {};
  for (const key of ['fields', 'classification', 'crops', 'splits', 'ocr'] as const) if (v[key] !== undefined) out[key] = v[key];
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

export function renderBatch(counts: BatchCounts, rows: BatchRow[], next: string | null, leftOut: string | null): string {
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
        if (k === 'fields') Object.assign(flat, v as object);
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
  text: string;
}

/**
 * Keeps the results of the first rows while both the text and the structured answer fit the
 * budget; later rows keep their ids, so their results are read one by one with `readTool`.
 */
export function fitBatch(counts: BatchCounts, rows: BatchRow[], next: string | null, budget: number, readTool: string): FittedBatch {
  const size = (documents: BatchRow[], leftOut: string | null) => {
    const text = renderBatch(counts, documents, next, leftOut);
    return { text, chars: Math.max(text.length, JSON.stringify({ counts, documents, next_step: next, left_out: leftOut }).length) };
  };
  let documents = rows;
  let leftOut: string | null = null;
  let fitted = size(documents, leftOut);
  for (let keep = rows.length; fitted.chars > budget && keep > 0; ) {
    keep = Math.max(0, Math.min(keep - 1, Math.floor(keep * 0.8)));
    const cut = rows.filter((r, i) => i >= keep && r.result !== null);
    documents = rows.map((r, i) => (i >= keep ? { ...r, result: null } : r));
    leftOut = cut.length
      ? `The results of ${cut.length} processed document(s) are left out to stay within ${budget} characters: read each with ${readTool} (inference_id in its row).`
      : null;
    fitted = size(documents, leftOut);
  }
  return { documents, left_out: leftOut, text: fitted.text };
}
