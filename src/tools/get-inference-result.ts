import { z } from 'zod';
import { PRODUCTS } from '../client/schemas.js';
import { inferenceShape } from '../results/shapes.js';
import { defineTool, type ResourceLink, type ToolSettings } from './define.js';
import { withProductHint } from './hints.js';
import { refuseLocalFiles } from './remote-sources.js';
import { reviewArgs, reviewedResult } from './review.js';
import { RESULT_TOOL, presentInference, saveArg, saveInference, viewArgs } from './result-view.js';

export function resultLink(inferenceId: string, uri: string): ResourceLink {
  return { type: 'resource_link', uri, name: `Mindee result ${inferenceId}`, mimeType: 'application/json', description: 'The full result JSON.' };
}

export const getInferenceResult = (settings: ToolSettings) =>
  defineTool({
    name: RESULT_TOOL,
    title: 'Read a Mindee result',
    description:
      "A processed job's result, by inference_id. Read only what you need with fields, pages, detail; a cut " +
      'answer ends with the call for the rest.',
    inputSchema: {
      inference_id: z.string().min(1).describe('Of a processed job'),
      product: z.enum(PRODUCTS).optional().describe('Rarely needed'),
      ...viewArgs(settings),
      ...reviewArgs(settings),
      ...saveArg,
    },
    outputSchema: inferenceShape.shape,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    _meta: { 'anthropic/maxResultSizeChars': 100_000 },
    async run(args, deps, ctx) {
      if (args.save_to !== undefined) refuseLocalFiles(deps, 'save_to');
      const product = args.product ?? (await deps.client.knownProduct(args.inference_id)) ?? undefined;
      const raw = await deps.client
        .getResult({ inferenceId: args.inference_id, product }, { signal: ctx.signal })
        .catch((error: unknown) => {
          throw product === undefined ? withProductHint(error) : error;
        });
      const { inference, review } = await reviewedResult(raw, args, deps);
      const saved = args.save_to === undefined ? undefined : await saveInference(inference, args.save_to, deps, { fields: args.fields, review: review && { ...review.review, ...(review.reviewed ? { reviewed: true } : {}) } });
      const { view, text } = presentInference(inference, args, deps, saved, review);
      return { text, structured: view, links: [resultLink(view.inference_id, view.resource_uri)] };
    },
  });
