/** Arguments shared by the tools that enqueue: which model, which options, how long to wait. */
import { z } from 'zod';
import type { EnqueueParams } from '../client/mindee-client.js';
import { PRODUCTS, type Product } from '../client/schemas.js';
import { MAX_WAIT_SECONDS } from '../config.js';

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

export const waitArgs = {
  wait: z.boolean().default(true).describe('Wait for the result (default true), or return the job at once.'),
  max_wait_seconds: z
    .number()
    .positive()
    .max(MAX_WAIT_SECONDS)
    .optional()
    .describe('How long to wait, in seconds (default 40; hosts often cut calls off near 60 s).'),
};

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
