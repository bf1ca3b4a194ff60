/**
 * What the tools hand back, as zod schemas: the single source of both the `outputSchema`
 * advertised in tools/list and the TypeScript types that `results/` fills in.
 */
import { z } from 'zod';
import { PRODUCTS } from '../client/schemas.js';

const jsonValue: z.ZodType<unknown> = z.unknown();

export const problemShape = z
  .object({
    status: z.number().nullable().describe('HTTP-style status of the error, e.g. 422.'),
    code: z.string().nullable().describe('Mindee error code, e.g. "500-012".'),
    title: z.string().nullable().describe('Short title of the error.'),
    detail: z.string().nullable().describe('What went wrong.'),
    errors: z
      .array(z.object({ pointer: z.string().nullable(), detail: z.string() }))
      .describe('Per-field problems: a JSON pointer into the request and what is wrong with it.'),
  })
  .describe('An error reported by Mindee.');
export type ProblemShape = z.infer<typeof problemShape>;

export const jobShape = z
  .object({
    job_id: z.string().describe('Id of the job.'),
    status: z.string().describe('Processing, Processed or Failed.'),
    model_id: z.string().nullable().describe('Model the document was sent to.'),
    product: z.enum(PRODUCTS).nullable().describe('Product of the result, once known.'),
    filename: z.string().nullable().describe('Name of the uploaded file, if any.'),
    alias: z.string().nullable().describe('Alias given at enqueue, if any.'),
    created_at: z.string().nullable().describe('When the job was created (as Mindee reports it, UTC).'),
    completed_at: z.string().nullable().describe('When processing ended, once it has.'),
    inference_id: z.string().nullable().describe('Id of the result, once processed.'),
    error: problemShape.nullable().describe('Why the job failed, when it did.'),
  })
  .describe('A Mindee job: one document being processed.');
export type JobShape = z.infer<typeof jobShape>;

export const fileShape = z.object({
  name: z.string().nullable().describe('File name as Mindee received it.'),
  alias: z.string().nullable().describe('Alias given at enqueue.'),
  page_count: z.number().nullable().describe('Number of pages.'),
  mime_type: z.string().nullable().describe('Type Mindee detected, e.g. application/pdf.'),
});

const fieldsShape = z
  .record(z.string(), jsonValue)
  .describe(
    'Extracted fields as plain values: a simple field is its value (string, number, boolean or null; dates YYYY-MM-DD), ' +
      'an object field a nested object, a list field an array. With detail "confidence" a simple field is {value, confidence}; ' +
      'with "full" also {locations: [{page, polygon}]}.',
  );

const pageNumber = z.number().describe('Page number, from 1.');
const box = z
  .array(z.number())
  .describe('Bounding box [x_min, y_min, x_max, y_max], relative to the page (0..1).');
const polygon = z.array(z.array(z.number())).describe('Polygon points [x, y], relative to the page (0..1).');

export const inferenceShape = z
  .object({
    inference_id: z.string().describe('Id of this result.'),
    job_id: z.string().nullable().describe('Job that produced it.'),
    model_id: z.string().nullable().describe('Model that produced it.'),
    product: z.enum(PRODUCTS).describe('The Mindee product: extraction, classification, crop, ocr or split.'),
    file: fileShape.describe('The document.'),
    active_options: z
      .record(z.string(), jsonValue)
      .nullable()
      .describe('Options Mindee really applied (raw_text, polygon, confidence, rag, text_context, data_schema).'),
    fields: fieldsShape.optional(),
    raw_text: z
      .array(z.object({ page: pageNumber, content: z.string() }))
      .optional()
      .describe('Full text of each page in the page window, when raw_text was requested.'),
    rag: z
      .object({ retrieved_document_id: z.string().nullable() })
      .nullable()
      .optional()
      .describe('Retrieval-augmented generation: the matched document, when rag was on.'),
    classification: z
      .object({
        document_type: z.string().nullable().describe('The class the document was put in.'),
        fields: fieldsShape.nullable().describe('Fields of the chained extraction, if the model has one.'),
      })
      .optional()
      .describe('Classification result.'),
    crops: z
      .array(
        z.object({
          object_type: z.string().nullable().describe('What was found, e.g. receipt.'),
          page: pageNumber,
          box,
          polygon: polygon.optional(),
          fields: fieldsShape.nullable().describe('Fields of the chained extraction, if any.'),
        }),
      )
      .optional()
      .describe('Crop result: each object found, with its page and box.'),
    splits: z
      .array(
        z.object({
          document_type: z.string().nullable().describe('Type of this sub-document.'),
          first_page: pageNumber,
          last_page: pageNumber,
          fields: fieldsShape.nullable().describe('Fields of the chained extraction, if any.'),
        }),
      )
      .optional()
      .describe('Split result: the sub-documents, with their page ranges (inclusive).'),
    ocr: z
      .array(
        z.object({
          page: pageNumber,
          content: z.string().describe('Text of the page.'),
          words: z.array(z.object({ content: z.string(), polygon })).optional().describe('Words with positions (detail "full").'),
        }),
      )
      .optional()
      .describe('OCR result: the text of each page in the page window.'),
    notes: z.array(z.string()).optional().describe('Remarks about this answer, e.g. requested fields that do not exist.'),
    continuation: z
      .object({
        left_out: z.string().describe('What this answer left out to stay within the size budget.'),
        next_call: z
          .object({ tool: z.string(), arguments: z.record(z.string(), jsonValue) })
          .nullable()
          .describe('The exact call that returns the next part, if one does.'),
      })
      .optional()
      .describe('Present only when the answer was cut to fit the size budget.'),
    resource_uri: z.string().describe('URI of the full result JSON (resources/read).'),
    saved_to: z.string().optional().describe('Where the full result JSON was written, when asked.'),
  })
  .describe('The result of one processed document.');
export type InferenceShape = z.infer<typeof inferenceShape>;

export const BATCH_STATUSES = ['Processed', 'Processing', 'Failed', 'Refused', 'NotSent'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const batchRowShape = z.object({
  source: z.string().describe('The file path, URL or job id this row is about.'),
  status: z
    .enum(BATCH_STATUSES)
    .describe('Processed; Processing (still running: resume it); Failed (Mindee could not process it); Refused (not sent: see error); NotSent (no time was left to send it: resume it).'),
  job_id: z.string().nullable().describe('Mindee job id, once enqueued.'),
  inference_id: z.string().nullable().describe('Result id, once processed.'),
  result: z
    .record(z.string(), jsonValue)
    .nullable()
    .describe('The result: {fields} for extraction, {classification}, {crops}, {splits} or {ocr} for the others.'),
  error: z.string().nullable().describe('Why it failed or was refused, or a remark about it.'),
});
export type BatchRow = z.infer<typeof batchRowShape>;

export const batchCountsShape = z
  .object({
    total: z.number(),
    processed: z.number(),
    processing: z.number(),
    failed: z.number(),
    refused: z.number(),
    not_sent: z.number(),
  })
  .describe('How many documents ended in each status.');
export type BatchCounts = z.infer<typeof batchCountsShape>;
