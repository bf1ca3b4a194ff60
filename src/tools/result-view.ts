/** The arguments that shape a result (detail, fields, pages, size), shared by the tools that return one. */
import { z } from 'zod';
import type { Inference } from '../client/schemas.js';
import { MAX_MAX_CHARS, MIN_MAX_CHARS, fitToBudget, type Fitted, type ViewChange } from '../results/budget.js';
import { MAX_EXPORT_COLUMNS, exportFormatOf, renderTable, resultTable, type ReviewLike, type Table } from '../results/export.js';
import { inferenceView } from '../results/inference.js';
import { parsePageWindow } from '../results/pages.js';
import type { ToolDeps, ToolSettings } from './define.js';
import type { KeptReview } from './review.js';
import { refuseLocalFiles } from './remote-sources.js';

/** The tool that reads a result: every "next part" call names it. */
export const RESULT_TOOL = 'get_inference_result';

export function viewArgs(settings: ToolSettings) {
  return {
    detail: z.enum(['values', 'confidence', 'full']).optional().describe('Default "values"'),
    fields: z.array(z.string()).optional().describe('Dotted paths'),
    pages: z.string().optional().describe('Page range'),
    max_chars: z
      .number()
      .int()
      .min(MIN_MAX_CHARS)
      .max(MAX_MAX_CHARS)
      .optional()
      .describe(`default ${settings.maxResultChars}`),
  };
}

export const saveArg = {
  save_to: z.string().optional().describe('json/csv/jsonl'),
};

export type ViewArgs = { detail?: 'values' | 'confidence' | 'full'; fields?: string[]; pages?: string; max_chars?: number; checks?: boolean; min_confidence?: string };

export interface Saved {
  path: string;
  /** What the answer says of the file beyond its path (rows written, columns left out). */
  note: string | null;
}

/**
 * Writes a result to a new file in the allowed directories: the whole result as JSON, or as a
 * table (.csv, .jsonl: one row, or one per item of the list `fields` names).
 */
export async function saveInference(inference: Inference, target: string, deps: ToolDeps, view: { fields?: string[]; review?: ReviewLike | null } = {}): Promise<Saved> {
  refuseLocalFiles(deps, 'save_to');
  const format = exportFormatOf(target);
  if (format === 'json') return { path: await deps.files.writeNewFile(target, deps.client.redact(JSON.stringify({ inference }, null, 2))), note: null };
  const table = resultTable(inference, view);
  const path = await deps.files.writeNewFile(target, deps.client.redact(renderTable(table, format)));
  return { path, note: tableNote(table, path) };
}

/** Rows written, and columns left out past the bound. */
export function tableNote(table: Table, path: string): string {
  const dropped = table.droppedColumns ? ` ${table.droppedColumns} column(s) past the first ${MAX_EXPORT_COLUMNS} were left out: pass fields to choose them.` : '';
  return `${table.rows.length} row(s) of ${table.columns.length} column(s) written to ${path}.${dropped}`;
}

/** The view of a result that the arguments ask for, within the size budget. */
export function presentInference(inference: Inference, args: ViewArgs, deps: ToolDeps, saved?: Saved, review?: KeptReview | null): Fitted {
  const pages = parsePageWindow(args.pages);
  const view = inferenceView(inference, { detail: args.detail, fields: args.fields, pages, review });
  const reviewed = review?.reviewed;
  if (reviewed) (view.notes ??= []).push(reviewed);
  if (saved) {
    view.saved_to = saved.path;
    if (saved.note) (view.notes ??= []).push(saved.note);
  }
  const callArgs: Record<string, unknown> = { inference_id: inference.id };
  if (view.product !== 'extraction') callArgs.product = view.product;
  for (const key of ['detail', 'fields', 'pages', 'max_chars', 'checks', 'min_confidence'] as const) if (args[key] !== undefined) callArgs[key] = args[key];
  const nextCall = (change: ViewChange) => {
    const { maxChars, ...rest } = change;
    return { tool: RESULT_TOOL, arguments: { ...callArgs, ...rest, ...(maxChars === undefined ? {} : { max_chars: maxChars }) } };
  };
  return fitToBudget(view, { maxChars: args.max_chars ?? deps.settings.maxResultChars, nextCall, pages, fields: args.fields, detail: args.detail ?? 'values' });
}
