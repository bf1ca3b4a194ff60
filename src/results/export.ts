/**
 * Results as tables, for files saved as .csv or .jsonl: one row for a document, one
 * row per item of a list field (line items, taxes), or one row per document of a batch. Cells
 * are plain values, numbers stay numbers; in CSV, text that a spreadsheet would run as a formula
 * is neutralised (a result is outside data). Pure functions: writing is the tools' job.
 */
import { stringify } from 'csv-stringify/sync';
import { MindeeInputError } from '../client/errors.js';
import type { Inference } from '../client/schemas.js';
import { quote } from '../lib/text.js';
import { dict, isRecord, type PlainValue } from './fields.js';
import { inferenceView } from './inference.js';

type Cell = string | number | boolean | null;

export interface Table {
  columns: string[];
  /** One cell per column, in column order. */
  rows: Cell[][];
  /** Columns past `MAX_EXPORT_COLUMNS`, left out (counted so the answer can say so). */
  droppedColumns: number;
}

export type ExportFormat = 'json' | 'csv' | 'jsonl';

/** Most columns one file gets: past them a table is not read by people, and the rest stay in the JSON. */
export const MAX_EXPORT_COLUMNS = 1000;

/** What of a result's verdict a table shows: the verdict and its issues' paths. */
export interface ReviewLike {
  verdict: string;
  issues: { path: string }[];
  more_issues?: number;
  /** A person reviewed the result: the values are the reviewed ones (a `reviewed` column says so). */
  reviewed?: boolean;
}

/** The format a target path asks for, by its extension; anything else keeps the full JSON. */
export function exportFormatOf(target: string): ExportFormat {
  const name = target.trim().toLowerCase();
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  return 'json';
}

/** Text a spreadsheet would take for a formula or a control: `=`, `+`, `-`, `@`, tab, CR. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number written as text (`-12.50`): a spreadsheet reads it as the number it is, never as a formula. */
const PLAIN_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;

/**
 * A text cell as a spreadsheet may safely read it: a leading `'` stops one from running it as a
 * formula (OWASP's advice for CSV injection); plain numbers are left alone.
 */
export function neutraliseText(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** A table as CSV: UTF-8 text, a header row, numbers as numbers, text neutralised, RFC 4180 quoting. */
export function toCsv(table: Table): string {
  return stringify([table.columns, ...table.rows], {
    cast: {
      string: (value) => neutraliseText(value),
      boolean: (value) => (value ? 'true' : 'false'),
      number: (value) => (Number.isFinite(value) ? String(value) : ''),
    },
    // Quote every cell holding a CR too (the default quotes only the record delimiter, \n).
    quoted_match: /\r/,
  });
}

/** A table as JSON Lines: one object per row, every column in each (null where a row has no value). */
export function toJsonl(table: Table): string {
  return table.rows
    .map((row) => {
      const out = dict<Cell>();
      table.columns.forEach((column, i) => (out[column] = row[i] ?? null));
      return JSON.stringify(out);
    })
    .join('\n')
    .concat(table.rows.length ? '\n' : '');
}

export function renderTable(table: Table, format: 'csv' | 'jsonl'): string {
  return format === 'csv' ? toCsv(table) : toJsonl(table);
}

/** Plain values flattened to dotted paths (`supplier.name`, `line_items.0.quantity`); an empty list or object adds nothing. */
function flatten(value: PlainValue, prefix: string, into: Map<string, Cell>, skip?: string): void {
  if (prefix === skip) return;
  if (value === null || typeof value !== 'object') {
    into.set(prefix, value);
    return;
  }
  const entries: [string, PlainValue][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  for (const [key, v] of entries) flatten(v, prefix ? `${prefix}.${key}` : key, into, skip);
}

/** Rows of named cells → a table whose columns are the names in order of first use, bounded. */
function tableOf(rows: Map<string, Cell>[]): Table {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of row.keys()) {
      if (seen.has(key)) continue;
      seen.add(key);
      if (columns.length < MAX_EXPORT_COLUMNS) columns.push(key);
    }
  }
  return { columns, rows: rows.map((row) => columns.map((c) => row.get(c) ?? null)), droppedColumns: seen.size - columns.length };
}

function reviewCells(row: Map<string, Cell>, review: ReviewLike | null | undefined, itemPrefix?: string): void {
  if (!review) return;
  row.set('verdict', review.verdict);
  row.set('issues', review.issues.length + (review.more_issues ?? 0));
  if (review.reviewed) row.set('reviewed', true);
  if (itemPrefix !== undefined) row.set('item_issues', review.issues.filter((i) => i.path === itemPrefix || i.path.startsWith(`${itemPrefix}.`)).length);
}

/** The first list a `fields` path reaches (`line_items`, `line_items.total_price` → `line_items`), as a path. */
function listNamed(values: { [key: string]: PlainValue }, paths: string[]): string | null {
  for (const path of paths) {
    let node: PlainValue = values;
    const seen: string[] = [];
    for (const part of path.split('.').map((p) => p.trim()).filter(Boolean)) {
      if (!isRecord(node) || !Object.hasOwn(node, part)) break;
      node = node[part] ?? null;
      seen.push(part);
      if (Array.isArray(node)) return seen.join('.');
    }
  }
  return null;
}

/**
 * One result as a table. When `fields` names a list (`line_items`, or a path through it such as
 * `line_items.total_price`), one row per item of the first such list: its index (as in review
 * paths), the other fields named repeated on every row, and the item's values under the list's
 * path (`line_items.quantity`). Otherwise one row with every field asked for, lists flattened by
 * index (`line_items.0.quantity`). Both carry the inference id and, when the result was verified,
 * the verdict and its issue count (and each item's own).
 */
export function resultTable(inference: Inference, options: { fields?: string[]; review?: ReviewLike | null } = {}): Table {
  const view = inferenceView(inference, { detail: 'values', fields: options.fields });
  const values = (view.fields ?? productValues(view)) as { [key: string]: PlainValue };
  const base = new Map<string, Cell>([['inference_id', view.inference_id]]);
  const listPath = options.fields?.length ? listNamed(values, options.fields) : null;
  if (listPath === null) {
    const row = new Map(base);
    flatten(values, '', row);
    reviewCells(row, options.review);
    return tableOf([row]);
  }
  let items: PlainValue = values;
  for (const part of listPath.split('.')) items = (items as { [key: string]: PlainValue })[part] ?? null;
  // Everything but the list, repeated on each of its rows.
  const shared = new Map<string, Cell>();
  flatten(values, '', shared, listPath);
  const rows = (items as PlainValue[]).map((item, i) => {
    const row = new Map(base);
    row.set('index', i);
    for (const [k, v] of shared) row.set(k, v);
    flatten(item, listPath, row);
    reviewCells(row, options.review, `${listPath}.${i}`);
    return row;
  });
  if (rows.length === 0) {
    throw new MindeeInputError(`The list ${quote(listPath, 100)} has no items in this result, so there are no rows to write.`, {
      hint: 'Save it without fields (one row for the document), or as .json.',
    });
  }
  return tableOf(rows);
}

/** The values of a classification, crop, split or OCR answer (the product part of the view). */
function productValues(view: object): { [key: string]: PlainValue } {
  const out = dict<PlainValue>();
  for (const key of ['classification', 'crops', 'splits', 'ocr'] as const) if ((view as Record<string, unknown>)[key] !== undefined) out[key] = (view as Record<string, unknown>)[key] as PlainValue;
  return out;
}

function isReview(v: unknown): v is ReviewLike {
  return isRecord(v) && typeof v.verdict === 'string' && Array.isArray(v.issues);
}

/** One document of a batch, as its row shows it. */
export interface BatchExportRow {
  source: string;
  status: string;
  job_id: string | null;
  inference_id: string | null;
  error: string | null;
  /** The row's result values (`rowResult`): `fields` of an extraction, or the product's part. */
  result: Record<string, unknown> | null;
  review?: ReviewLike | null;
}

/**
 * A batch as a table, one row per document: the file (or URL, upload, job), status, job and
 * inference ids, verdict and issue count, error, then the values asked for (`fields`), flattened.
 */
export function batchTable(rows: BatchExportRow[]): Table {
  return tableOf(
    rows.map((r) => {
      const row = new Map<string, Cell>([
        ['file', r.source],
        ['status', r.status],
        ['job_id', r.job_id],
        ['inference_id', r.inference_id],
      ]);
      // The verdict given, or the one the row's result carries.
      const review = r.review ?? (isReview(r.result?.review) ? r.result.review : null);
      row.set('verdict', review?.verdict ?? null);
      row.set('issues', review ? review.issues.length + (review.more_issues ?? 0) : null);
      if (review?.reviewed || r.result?.reviewed === true) row.set('reviewed', true);
      row.set('error', r.error);
      if (r.result) {
        const values = isRecord(r.result.fields) ? r.result.fields : r.result;
        flatten(values as PlainValue, '', row);
      }
      return row;
    }),
  );
}
