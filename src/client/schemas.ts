/**
 * The shapes of the Mindee v2 API's answers, as zod schemas. Lenient where the real API is:
 * ids need not be UUIDs, optional keys may be missing, unknown keys are kept, and a field's
 * own shape is left to `results/`, which tells simple, object and list fields apart.
 */
import { z } from 'zod';

const nullableString = z.string().nullish().transform((v) => v ?? null);

const problemDetailSchema = z.object({
  pointer: nullableString,
  detail: z.string().nullish().transform((v) => v ?? ''),
});

/** An RFC 9457 error body, as the API sends it for errors and inside failed jobs. */
export const problemSchema = z.looseObject({
  status: z.number().int().nullish(),
  title: nullableString,
  detail: nullableString,
  code: nullableString,
  errors: z.array(problemDetailSchema).nullish().transform((v) => v ?? []),
});
export type Problem = z.infer<typeof problemSchema>;

const jobWebhookSchema = z.looseObject({
  id: z.string(),
  created_at: nullableString,
  status: nullableString,
  error: problemSchema.nullish().transform((v) => v ?? null),
});

export const jobSchema = z.looseObject({
  id: z.string().min(1),
  model_id: nullableString,
  filename: nullableString,
  alias: nullableString,
  created_at: nullableString,
  completed_at: nullableString,
  status: z.string(),
  polling_url: nullableString,
  result_url: nullableString,
  webhooks: z.array(jobWebhookSchema).nullish().transform((v) => v ?? []),
  error: problemSchema.nullish().transform((v) => v ?? null),
});
export type Job = z.infer<typeof jobSchema>;
export const jobResponseSchema = z.object({ job: jobSchema });

const inferenceFileSchema = z.looseObject({
  name: nullableString,
  alias: nullableString,
  page_count: z.number().int().nullish().transform((v) => v ?? null),
  mime_type: nullableString,
});

export const inferenceSchema = z.looseObject({
  id: z.string().min(1),
  job: z.looseObject({ id: z.string() }).nullish().transform((v) => v ?? null),
  model: z.looseObject({ id: z.string() }).nullish().transform((v) => v ?? null),
  file: inferenceFileSchema.nullish().transform((v) => v ?? null),
  /** Product-specific: `{fields, raw_text, rag}`, `{classification}`, `{crops}`, `{splits}` or `{pages}`. */
  result: z.record(z.string(), z.unknown()),
  active_options: z.record(z.string(), z.unknown()).nullish().transform((v) => v ?? null),
});
export type Inference = z.infer<typeof inferenceSchema>;
export const inferenceResponseSchema = z.object({ inference: inferenceSchema });

const modelSchema = z.looseObject({
  id: z.string(),
  name: nullableString,
  model_type: nullableString,
  webhooks: z
    .array(z.looseObject({ id: z.string(), name: nullableString, url: nullableString }))
    .nullish()
    .transform((v) => v ?? []),
});

export const searchModelsResponseSchema = z.object({
  models: z.array(modelSchema),
  pagination: z
    .looseObject({
      per_page: z.number().nullish(),
      page: z.number().nullish(),
      total_items: z.number().nullish(),
      total_pages: z.number().nullish(),
    })
    .nullish()
    .transform((v) => v ?? null),
});
export type SearchModelsResponse = z.infer<typeof searchModelsResponseSchema>;

export const PRODUCTS = ['extraction', 'classification', 'crop', 'ocr', 'split'] as const;
export type Product = (typeof PRODUCTS)[number];

/** Mindee model ids are UUIDs (response ids need not be, so this is for model ids only). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
