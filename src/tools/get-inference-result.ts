import { z } from 'zod';
import { inferenceShape } from '../results/shapes.js';
import { inferenceSummary, renderInference } from '../results/summaries.js';
import { defineTool } from './define.js';

export const getInferenceResult = defineTool({
  name: 'get_inference_result',
  title: 'Read a Mindee result',
  description:
    'The result of a processed job, by its inference_id (from enqueue_document or get_job_status): the model, ' +
    'the file (name, alias, page count, type), the options applied, and the extracted fields as plain values ' +
    '(objects nested, lists as arrays), with the text of each page when raw_text was requested.',
  inputSchema: {
    inference_id: z.string().min(1).describe('The inference_id of a processed job.'),
  },
  outputSchema: inferenceShape.shape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(args, deps, ctx) {
    const inference = await deps.client.getResult({ inferenceId: args.inference_id }, { signal: ctx.signal });
    const summary = inferenceSummary(inference);
    return { text: renderInference(summary), structured: summary };
  },
});
