import { z } from 'zod';
import { PRODUCTS } from '../client/schemas.js';
import { inferenceShape } from '../results/shapes.js';
import { defineTool, type ResourceLink, type ToolSettings } from './define.js';
import { withProductHint } from './hints.js';
import { refuseLocalFiles } from './remote.js';
import { RESULT_TOOL, presentInference, saveArg, saveInference, viewArgs } from './view-args.js';

export function resultLink(inferenceId: string, uri: string): ResourceLink {
  return { type: 'resource_link', uri, name: `Mindee result ${inferenceId}`, mimeType: 'application/json', description: 'The full result JSON.' };
}

export const getInferenceResult = (settings: ToolSettings) =>
  defineTool({
    name: RESULT_TOOL,
    title: 'Read a Mindee result',
    description:
      'The result of a processed job, by its inference_id (from enqueue_document or get_job_status). Extraction: the ' +
      'fields as plain values (objects nested, lists as arrays) and page text if raw_text was on; classification: the ' +
      'document type; crop: objects with page and box; split: sub-documents with page ranges; ocr: page text. ' +
      'Use fields, pages and detail to read only what you need; a long result ends with the exact call for the next part. ' +
      'Results stay readable here after Mindee deletes them.',
    inputSchema: {
      inference_id: z.string().min(1).describe('The inference_id of a processed job.'),
      product: z
        .enum(PRODUCTS)
        .optional()
        .describe('Product that made the result; needed only for a result this server has not seen the job of (default extraction).'),
      ...viewArgs(settings),
      ...saveArg,
    },
    outputSchema: inferenceShape.shape,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    _meta: { 'anthropic/maxResultSizeChars': 100_000 },
    async run(args, deps, ctx) {
      if (args.save_to !== undefined) refuseLocalFiles(deps, 'save_to');
      const product = args.product ?? (await deps.client.knownProduct(args.inference_id)) ?? undefined;
      const inference = await deps.client
        .getResult({ inferenceId: args.inference_id, product }, { signal: ctx.signal })
        .catch((error: unknown) => Promise.reject(product === undefined ? withProductHint(error) : error));
      const saved = args.save_to === undefined ? undefined : await saveInference(inference, args.save_to, deps);
      const { view, text } = presentInference(inference, args, deps, saved);
      return { text, structured: view, links: [resultLink(view.inference_id, view.resource_uri)] };
    },
  });
