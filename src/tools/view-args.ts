/** The arguments that shape a result (detail, fields, pages, size), shared by the tools that return one. */
import { z } from 'zod';
import type { Inference } from '../client/schemas.js';
import { MAX_MAX_CHARS, MIN_MAX_CHARS, fitToBudget, type Fitted, type ViewChange } from '../results/budget.js';
import { inferenceView } from '../results/inference.js';
import { parsePageWindow } from '../results/pages.js';
import type { InferenceReview } from '../verify/index.js';
import type { ToolDeps, ToolSettings } from './define.js';
import { refuseLocalFiles } from './remote.js';

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
  save_to: z.string().optional().describe('Write full JSON here'),
};

export type ViewArgs = { detail?: 'values' | 'confidence' | 'full'; fields?: string[]; pages?: string; max_chars?: number; checks?: boolean; min_confidence?: string };

/** Writes the whole result as JSON to a new file in the allowed directories; returns its path. */
export async function saveInference(inference: Inference, target: string, deps: ToolDeps): Promise<string> {
  refuseLocalFiles(deps, 'save_to');
  return deps.files.writeNewFile(target, deps.client.redact(JSON.stringify({ inference }, null, 2)));
}

/** The view of a result that the arguments ask for, within the size budget. */
export function presentInference(inference: Inference, args: ViewArgs, deps: ToolDeps, savedTo?: string, review?: InferenceReview | null): Fitted {
  const pages = parsePageWindow(args.pages);
  const view = inferenceView(inference, { detail: args.detail, fields: args.fields, pages, review });
  if (savedTo) view.saved_to = savedTo;
  const callArgs: Record<string, unknown> = { inference_id: inference.id };
  if (view.product !== 'extraction') callArgs.product = view.product;
  for (const key of ['detail', 'fields', 'pages', 'max_chars', 'checks', 'min_confidence'] as const) if (args[key] !== undefined) callArgs[key] = args[key];
  const nextCall = (change: ViewChange) => {
    const { maxChars, ...rest } = change;
    return { tool: RESULT_TOOL, arguments: { ...callArgs, ...rest, ...(maxChars === undefined ? {} : { max_chars: maxChars }) } };
  };
  return fitToBudget(view, { maxChars: args.max_chars ?? deps.settings.maxResultChars, nextCall, pages, fields: args.fields, detail: args.detail ?? 'values' });
}
