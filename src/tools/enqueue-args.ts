/** Arguments shared by the tools that enqueue: which model, which options, how long to wait. */
import { z } from 'zod';
import { MindeeInputError } from '../client/errors.js';
import type { DocumentSource } from '../client/inputs.js';
import type { EnqueueParams } from '../client/mindee-client.js';
import { PRODUCTS, type Product } from '../client/schemas.js';
import { MAX_WAIT_SECONDS } from '../config.js';
import type { ToolDeps, ToolSettings } from './define.js';

const optionFlag = (what: string) => z.boolean().optional().describe(`${what} Omit to use the model's default.`);

export const modelArgs = {
  model_id: z
    .string()
    .optional()
    .describe('UUID of the Mindee model, or an alias configured on this server (e.g. "invoice"); default: the server\'s default model.'),
  product: z
    .enum(PRODUCTS)
    .default('extraction')
    .describe('Mindee product of the model: extraction (default), classification, crop, ocr or split.'),
};

export const optionArgs = {
  webhook_ids: z.array(z.string()).optional().describe('Ids of the model\'s webhooks to notify when the job ends.'),
  rag: optionFlag('Use retrieval-augmented generation (extraction only).'),
  raw_text: optionFlag('Also return the full text of each page (extraction only).'),
  polygon: optionFlag('Compute field locations on the page (extraction only).'),
  confidence: optionFlag('Compute a confidence for each field (extraction only).'),
  text_context: z.string().optional().describe('Extra context for the model, e.g. what the document is (extraction only).'),
  data_schema: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Replace the model\'s fields for this call: {"replace": {"fields": [{name, title, is_array, type, description, guidelines}]}} (extraction only).'),
};

export function waitArgs(settings: ToolSettings) {
  return {
    wait: z.boolean().default(true).describe('Wait for the result (default true), or return the job at once.'),
    max_wait_seconds: z
      .number()
      .positive()
      .max(MAX_WAIT_SECONDS)
      .optional()
      .describe(`How long the whole call may take, in seconds (default ${settings.maxWaitSeconds}; hosts often cut calls off near 60 s).`),
  };
}

type OptionArgs = {
  product: Product;
  webhook_ids?: string[];
  rag?: boolean;
  raw_text?: boolean;
  polygon?: boolean;
  confidence?: boolean;
  text_context?: string;
  data_schema?: Record<string, unknown>;
};

/** The tool's snake_case arguments in the client's words. */
export function enqueueParams(args: OptionArgs, modelId: string, alias?: string): EnqueueParams {
  return {
    modelId,
    product: args.product,
    alias,
    webhookIds: args.webhook_ids,
    rag: args.rag,
    rawText: args.raw_text,
    polygon: args.polygon,
    confidence: args.confidence,
    textContext: args.text_context,
    dataSchema: args.data_schema,
  };
}

/** Which document a call names: exactly one of file_path, url and file_base64. */
export async function documentSource(
  args: { file_path?: string; url?: string; file_base64?: string; filename?: string },
  deps: ToolDeps,
): Promise<DocumentSource> {
  const given = (['file_path', 'url', 'file_base64'] as const).filter((k) => args[k] !== undefined && args[k] !== '');
  if (given.length !== 1) {
    throw new MindeeInputError(given.length === 0 ? 'No document was given.' : `Only one document source may be given, but got ${given.join(' and ')}.`, {
      hint: 'Pass exactly one of file_path (a local file), url (public https) or file_base64 (small files).',
    });
  }
  if (args.file_path !== undefined && args.file_path !== '') {
    const resolved = await deps.files.resolve(args.file_path);
    return { path: resolved.path, filename: args.filename, identity: resolved.identity };
  }
  if (args.url !== undefined && args.url !== '') return { url: args.url };
  return { base64: args.file_base64!, filename: args.filename };
}
