/**
 * What the tools hand back, as zod schemas: the single source of both the `outputSchema`
 * advertised in tools/list and the TypeScript types that `results/` fills in.
 */
import { z } from 'zod';

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
    job_id: z.string().describe('Id of the job; pass it to get_job_status.'),
    status: z.string().describe('Processing, Processed or Failed.'),
    model_id: z.string().nullable().describe('Model the document was sent to.'),
    filename: z.string().nullable().describe('Name of the uploaded file, if any.'),
    alias: z.string().nullable().describe('Alias given at enqueue, if any.'),
    created_at: z.string().nullable().describe('When the job was created (as Mindee reports it, UTC).'),
    completed_at: z.string().nullable().describe('When processing ended, once it has.'),
    inference_id: z.string().nullable().describe('Id of the result once processed; pass it to get_inference_result.'),
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

export const inferenceShape = z
  .object({
    inference_id: z.string().describe('Id of this result.'),
    job_id: z.string().nullable().describe('Job that produced it.'),
    model_id: z.string().nullable().describe('Model that produced it.'),
    file: fileShape.describe('The document.'),
    active_options: z
      .record(z.string(), jsonValue)
      .nullable()
      .describe('Options Mindee really applied (raw_text, polygon, confidence, rag, text_context, data_schema).'),
    fields: z
      .record(z.string(), jsonValue)
      .describe(
        'Extracted fields as plain values: a simple field is its value (string, number, boolean or null; dates YYYY-MM-DD), an object field a nested object, a list field an array.',
      ),
    raw_text: z
      .array(z.object({ page: z.number().describe('Page number, from 1.'), content: z.string() }))
      .nullable()
      .describe('Full text of each page, when raw_text was requested.'),
    rag: z
      .object({ retrieved_document_id: z.string().nullable() })
      .nullable()
      .describe('Retrieval-augmented generation: the matched document, when rag was on.'),
  })
  .describe('The result of one processed document.');
export type InferenceShape = z.infer<typeof inferenceShape>;
