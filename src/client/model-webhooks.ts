/**
 * Which of the configured webhooks an enqueue names by default: those its model has. Mindee
 * refuses an enqueue naming a webhook of another model, so the account's model list is read to
 * learn them — once per caller every few minutes; when that list cannot be read, the enqueue goes
 * without (its wait polls as usual).
 */
import { MindeeAbortError, MindeeError } from './errors.js';
import type { JobRegistry } from './job-registry.js';
import type { SearchModelsResponse } from './schemas.js';
import type { CallOptions } from './types.js';

/** How long the webhooks of an account's models are taken as known. */
const MODEL_WEBHOOKS_TTL_MS = 10 * 60 * 1000;
/** Pages of models read to learn which have which webhooks (100 models a page). */
const MODEL_PAGES_READ = 20;

export interface ModelLister {
  searchModels(query: { page: number; perPage: number }, options: CallOptions): Promise<SearchModelsResponse>;
}

/** The ids among `ids` that the model `modelId` has, as the caller `partition`'s model list says. */
export async function webhooksOfModel(
  lister: ModelLister,
  registry: JobRegistry,
  partition: string,
  now: number,
  modelId: string,
  ids: string[],
  options: CallOptions,
): Promise<string[]> {
  let known = registry.modelWebhooks(partition);
  if (!known || now - known.at > MODEL_WEBHOOKS_TTL_MS) {
    const byModel = new Map<string, string[]>();
    try {
      for (let page = 1; page <= MODEL_PAGES_READ; page++) {
        const answer = await lister.searchModels({ page, perPage: 100 }, options);
        for (const m of answer.models) byModel.set(m.id.toLowerCase(), m.webhooks.map((w) => w.id.toLowerCase()));
        const pages = answer.pagination?.total_pages ?? 1;
        if (page >= pages || answer.models.length === 0) break;
      }
    } catch (error) {
      if (!(error instanceof MindeeError) || error instanceof MindeeAbortError) throw error;
      return [];
    }
    known = { at: now, byModel };
    registry.setModelWebhooks(partition, known);
  }
  const ofModel = known.byModel.get(modelId.toLowerCase()) ?? [];
  return ids.filter((id) => ofModel.includes(id.toLowerCase()));
}
