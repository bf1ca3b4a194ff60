/** Arguments shared by the tools that enqueue: which model, which options, how long to wait. */
import { z } from 'zod';
import { MindeeInputError } from '../client/errors.js';
import type { EnqueueParams } from '../client/mindee-client.js';
import { PRODUCTS, type Product } from '../client/schemas.js';
import { MAX_WAIT_SECONDS } from '../config.js';
import { jsonObject } from '../results/shapes.js';
import type { DocumentToSend, ToolDeps, ToolSettings } from './define.js';
import { aliasesOf } from './models.js';
import { notUploaded, refuseLocalFiles, uploadSource } from './remote-sources.js';

// Shared by both enqueue tools, so each field says only what its name does not: what the
// options have in common (extraction only, the model's own setting when omitted) is said once,
// in the server instructions.
export function modelArgs(settings: ToolSettings) {
  const fallback = settings.models.defaultModelId;
  return {
    model_id: z
      .string()
      .optional()
      .describe(fallback ? `UUID or alias (default ${aliasesOf(fallback, settings.models)[0] ?? fallback})` : 'UUID or alias'),
    product: z.enum(PRODUCTS).default('extraction').describe('Model type'),
  };
}

/** What both enqueue tools are: not read-only (each call starts a job), runnable as MCP tasks, with large answers. */
export const enqueueTraits = {
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  execution: { taskSupport: 'optional' },
  _meta: { 'anthropic/maxResultSizeChars': 100_000 },
} as const;

export const optionArgs = {
  webhook_ids: z.array(z.string()).optional().describe('From search_models'),
  rag: z.boolean().optional().describe('Use RAG'),
  raw_text: z.boolean().optional().describe('Return page text'),
  polygon: z.boolean().optional().describe('Field locations'),
  confidence: z.boolean().optional().describe('Field confidences'),
  text_context: z.string().optional().describe('Hint for the model'),
  data_schema: jsonObject().optional().describe('Replace model fields'),
};

export function waitArgs(settings: ToolSettings) {
  return {
    wait: z.boolean().default(true).describe("false: don't wait"),
    max_wait_seconds: z
      .number()
      .positive()
      .max(MAX_WAIT_SECONDS)
      .optional()
      .describe(`default ${settings.maxWaitSeconds}`),
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

// Documents uploaded to this server: advertised only by a remote server, where uploads exist.
export function uploadIdArg(settings: ToolSettings): { upload_id?: z.ZodOptional<z.ZodString> } {
  return settings.remote ? { upload_id: z.string().optional().describe('From POST /uploads') } : {};
}
export function uploadIdsArg(settings: ToolSettings): { upload_ids?: z.ZodOptional<z.ZodArray<z.ZodString>> } {
  return settings.remote ? { upload_ids: z.array(z.string()).optional().describe('From POST /uploads') } : {};
}

/** Which document a call names: exactly one of file_path, url, file_base64 and upload_id. */
export async function documentSource(
  // upload_id is in the schema of remote servers only, hence `unknown` here.
  args: { file_path?: string; url?: string; file_base64?: string; upload_id?: unknown; filename?: string },
  deps: ToolDeps,
): Promise<DocumentToSend> {
  const given = (['file_path', 'url', 'file_base64', 'upload_id'] as const).filter((k) => args[k] !== undefined && args[k] !== '');
  if (given.length !== 1) {
    throw new MindeeInputError(given.length === 0 ? 'No document was given.' : `Only one document source may be given, but got ${given.join(' and ')}.`, {
      hint: `Pass exactly one of file_path (a local file), url (public https), file_base64 (small files)${deps.remote ? ' or upload_id (POST /uploads)' : ''}.`,
    });
  }
  if (typeof args.upload_id === 'string' && args.upload_id !== '') return uploadSource(args.upload_id, args.filename, deps);
  if (args.file_path !== undefined && args.file_path !== '') {
    refuseLocalFiles(deps, 'file_path');
    const resolved = await deps.files.resolve(args.file_path);
    return notUploaded({ path: resolved.path, filename: args.filename, identity: resolved.identity });
  }
  if (args.url !== undefined && args.url !== '') return notUploaded({ url: args.url });
  return notUploaded({ base64: args.file_base64!, filename: args.filename });
}
