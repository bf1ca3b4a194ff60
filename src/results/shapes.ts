/**
 * What the tools hand back, as zod schemas: the single source of both the `outputSchema`
 * advertised in tools/list and the TypeScript types that `results/` fills in.
 *
 * Every client receives these schemas and every word costs tokens, so a description is only
 * where a name alone would leave a reader guessing; what the values mean is in the tool
 * descriptions and the server instructions.
 */
import { z } from 'zod';
import { PRODUCTS } from '../client/schemas.js';

/**
 * Leaves keys out of the JSON Schema zod emits for `schema` in tools/list, where they tell
 * neither a model nor a validator anything. Metadata overrides what zod writes, and zod drops
 * a key left undefined when it finalises the JSON (the tools/list snapshots show the result).
 */
export function leaveOutOfJsonSchema<T extends z.ZodType>(schema: T, ...keys: string[]): T {
  return schema.meta(Object.fromEntries(keys.map((key) => [key, undefined])));
}

/** Any JSON object, advertised as `{"type": "object"}` without zod's `propertyNames` and empty `additionalProperties`. */
export const jsonObject = () => leaveOutOfJsonSchema(z.record(z.string(), z.unknown()), 'propertyNames', 'additionalProperties');

const problemShape = z.object({
  status: z.number().nullable(),
  code: z.string().nullable(),
  title: z.string().nullable(),
  detail: z.string().nullable(),
  errors: z.array(z.object({ pointer: z.string().nullable().describe('JSON pointer into the request'), detail: z.string() })),
});
export type ProblemShape = z.infer<typeof problemShape>;

export const jobShape = z.object({
  job_id: z.string(),
  status: z.string().describe('Processing, Processed or Failed'),
  model_id: z.string().nullable(),
  product: z.enum(PRODUCTS).nullable(),
  filename: z.string().nullable(),
  alias: z.string().nullable(),
  created_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  inference_id: z.string().nullable(),
  error: problemShape.nullable(),
});
export type JobShape = z.infer<typeof jobShape>;

const fileShape = z.object({
  name: z.string().nullable(),
  alias: z.string().nullable(),
  page_count: z.number().nullable(),
  mime_type: z.string().nullable(),
});

/** Fields of a chained extraction (classification, crop, split), in the same form as `fields`. */
const chainedFields = jsonObject().nullable();
const pageNumber = z.number();
const box = z.array(z.number()).describe('[x_min, y_min, x_max, y_max], 0..1');
const polygon = z.array(z.array(z.number()));

/** The verdict on an extraction (src/verify): what to look at before acting on it, and where. */
export const reviewShape = z.object({
  verdict: z.enum(['accept', 'needs_review']),
  issues: z.array(
    z.object({
      path: z.string(),
      kind: z.enum(['low_confidence', 'missing', 'failed_check', 'invalid_format']),
      message: z.string(),
      page: pageNumber.optional(),
      box: z.array(z.number()).optional(),
    }),
  ),
  more_issues: z.number().optional(),
  checks: z.number(),
  passed: z.number(),
  lowest_confidence: z.string().nullable(),
  unchecked: z.array(z.string()),
});
export type ReviewShape = z.infer<typeof reviewShape>;
/** A chained extraction's own review, in the form of `review` (whose issues it also lists, with their paths from the top). */
const chainedReview = jsonObject().optional();

export const inferenceShape = z.object({
  inference_id: z.string(),
  job_id: z.string().nullable(),
  model_id: z.string().nullable(),
  product: z.enum(PRODUCTS),
  file: fileShape,
  active_options: jsonObject().nullable(),
  fields: jsonObject().optional().describe('Values by field name; with detail confidence or full, {value, confidence, locations}'),
  raw_text: z.array(z.object({ page: pageNumber, content: z.string() })).optional(),
  rag: z.object({ retrieved_document_id: z.string().nullable() }).nullable().optional(),
  review: reviewShape.optional(),
  classification: z.object({ document_type: z.string().nullable(), fields: chainedFields, review: chainedReview }).optional(),
  crops: z.array(z.object({ object_type: z.string().nullable(), page: pageNumber, box, polygon: polygon.optional(), fields: chainedFields, review: chainedReview })).optional(),
  splits: z.array(z.object({ document_type: z.string().nullable(), first_page: pageNumber, last_page: pageNumber, fields: chainedFields, review: chainedReview })).optional(),
  ocr: z.array(z.object({ page: pageNumber, content: z.string(), words: z.array(z.object({ content: z.string(), polygon })).optional() })).optional(),
  notes: z.array(z.string()).optional(),
  continuation: z
    .object({
      left_out: z.string(),
      next_call: z.object({ tool: z.string(), arguments: jsonObject() }).nullable(),
    })
    .optional(),
  resource_uri: z.string(),
  saved_to: z.string().optional(),
});
export type InferenceShape = z.infer<typeof inferenceShape>;

const BATCH_STATUSES = ['Processed', 'Processing', 'Failed', 'Refused', 'NotSent'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const batchRowShape = z.object({
  source: z.string().describe('File, URL or job id'),
  status: z.enum(BATCH_STATUSES),
  job_id: z.string().nullable(),
  inference_id: z.string().nullable(),
  result: jsonObject().nullable().describe('{fields, review}, {classification}, {crops}, {splits} or {ocr}'),
  error: z.string().nullable(),
});
export type BatchRow = z.infer<typeof batchRowShape>;

export const batchCountsShape = z.object({
  total: z.number(),
  processed: z.number(),
  processing: z.number(),
  failed: z.number(),
  refused: z.number(),
  not_sent: z.number(),
});
export type BatchCounts = z.infer<typeof batchCountsShape>;
