import { z } from 'zod';
import { PRODUCTS } from '../client/schemas.js';
import { defineTool, type ToolSettings } from './define.js';
import { aliasesOf } from './models.js';

const modelShape = z.object({
  id: z.string().describe('Model id: pass it as model_id to enqueue_document.'),
  name: z.string().nullable().describe('Name given on the Mindee platform.'),
  model_type: z.string().nullable().describe('Product of the model: extraction, classification, crop, ocr or split (pass it as product).'),
  aliases: z.array(z.string()).describe('Aliases this server knows the model by.'),
  webhooks: z.array(z.object({ id: z.string(), name: z.string().nullable() })).describe('Webhooks of the model (ids for webhook_ids).'),
});

export const searchModels = (_settings: ToolSettings) =>
  defineTool({
  name: 'search_models',
  title: 'Find Mindee models',
  description:
    'Lists the models of the Mindee account, optionally filtered by name and product type: each with its id ' +
    '(the model_id for enqueue_document), name, type (the product to use) and webhooks. Use it when you do not know which model to use.',
  inputSchema: {
    name: z.string().optional().describe('Part of the model name, case-insensitive.'),
    model_type: z.enum(PRODUCTS).optional().describe('Only models of this product.'),
    page: z.number().int().min(1).default(1).describe('Page of the list, from 1.'),
    per_page: z.number().int().min(1).max(100).default(50).describe('Models per page (at most 100).'),
  },
  outputSchema: {
    models: z.array(modelShape),
    page: z.number().describe('This page.'),
    total_pages: z.number().nullable().describe('How many pages there are.'),
    total_models: z.number().nullable().describe('How many models match.'),
    next_step: z.string().nullable().describe('The call for the next page, if there is one.'),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(args, deps, ctx) {
    const found = await deps.client.searchModels(
      { name: args.name, modelType: args.model_type, page: args.page, perPage: args.per_page },
      { signal: ctx.signal },
    );
    const models = found.models.map((m) => ({
      id: m.id,
      name: m.name,
      model_type: m.model_type,
      aliases: aliasesOf(m.id, deps.settings.models),
      webhooks: m.webhooks.map((w) => ({ id: w.id, name: w.name })),
    }));
    const page = found.pagination?.page ?? args.page;
    const totalPages = found.pagination?.total_pages ?? null;
    const nextArgs = { ...(args.name ? { name: args.name } : {}), ...(args.model_type ? { model_type: args.model_type } : {}), page: page + 1, per_page: args.per_page };
    const next = totalPages !== null && page < totalPages ? `Call search_models with ${JSON.stringify(nextArgs)} for the next page.` : null;
    const lines = models.length
      ? models.map((m) => {
          const aka = m.aliases.length ? ` (alias ${m.aliases.join(', ')})` : '';
          const hooks = m.webhooks.length ? `; webhooks: ${m.webhooks.map((w) => `${w.name ?? 'unnamed'} ${w.id}`).join(', ')}` : '';
          return `- ${m.name ?? '(unnamed)'}${aka}: ${m.model_type ?? 'unknown type'}, model_id ${m.id}${hooks}`;
        })
      : ['No models match.'];
    const header = `${found.pagination?.total_items ?? models.length} model(s)${totalPages && totalPages > 1 ? `, page ${page} of ${totalPages}` : ''}:`;
    return {
      text: [header, ...lines, ...(next ? [next] : [])].join('\n'),
      structured: { models, page, total_pages: totalPages, total_models: found.pagination?.total_items ?? null, next_step: next },
    };
  },
});
