import { z } from 'zod';
import { PRODUCTS } from '../client/schemas.js';
import { defineTool, type ToolSettings } from './define.js';
import { aliasesOf } from './models.js';

/** Far more pages than any account has models for; a page past the last one is merely empty. */
const MAX_PAGE = 10_000;

const modelShape = z.object({
  id: z.string(),
  name: z.string().nullable(),
  model_type: z.string().nullable(),
  aliases: z.array(z.string()),
  webhooks: z.array(z.object({ id: z.string(), name: z.string().nullable() })),
});

export const searchModels = (_settings: ToolSettings) =>
  defineTool({
  name: 'search_models',
  title: 'Find Mindee models',
  description:
    "The account's Mindee models, to find which to use: each with its id (the model_id), type (the product), " +
    'aliases and webhooks.',
  inputSchema: {
    name: z.string().optional().describe('Name contains'),
    model_type: z.enum(PRODUCTS).optional().describe('Only this type'),
    page: z.number().int().min(1).max(MAX_PAGE).default(1).describe('Page number'),
    per_page: z.number().int().min(1).max(100).default(50).describe('Page size'),
  },
  outputSchema: {
    models: z.array(modelShape),
    page: z.number(),
    total_pages: z.number().nullable(),
    total_models: z.number().nullable(),
    next_step: z.string().nullable(),
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
