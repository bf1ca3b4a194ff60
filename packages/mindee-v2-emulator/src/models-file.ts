/**
 * The emulated account's models from a JSON file (`--models-file`). Its shape is the answer of
 * `GET /v2/search/models` — `{"models": [{id, name, model_type, webhooks: [{id, name, url}]}]}` —
 * so a real account's search answer can be saved and served as it is, plus a few optional keys
 * that shape the simulation. Every error names the file, the entry and the key.
 */
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { isHttpUrl, UUID_RE } from './checks.js';
import { parseSchemaFields } from './data-schema.js';
import { FAILURES } from './models.js';
import { PRODUCTS } from './types.js';
import type { EmulatorModel, Product } from './types.js';

/** Bounds of what the file may hold; a file past one is refused with the bound named. */
export const MODELS_FILE_LIMITS = { bytes: 5 * 1024 * 1024, models: 1000, webhooksPerModel: 100, documentTypes: 100 } as const;

export class ModelsFileError extends Error {
  override name = 'ModelsFileError';
}

const uuid = z.string().regex(UUID_RE, 'must be a UUID');
const text = z.string().trim().min(1, 'must be a non-empty string').max(500, 'must be at most 500 characters');

const webhookSchema = z.strictObject({
  id: uuid,
  name: text,
  url: z.string().refine(isHttpUrl, 'must be an http(s) URL'),
});

const failureCodes = Object.keys(FAILURES) as [keyof typeof FAILURES, ...(keyof typeof FAILURES)[]];

const level = z.enum(['Certain', 'High', 'Medium', 'Low'], 'must be one of Certain, High, Medium, Low');

const modelSchema = z.strictObject({
  id: uuid,
  name: text,
  model_type: z.enum(PRODUCTS as [Product, ...Product[]], `must be one of ${PRODUCTS.join(', ')}`),
  webhooks: z
    .array(webhookSchema)
    .max(MODELS_FILE_LIMITS.webhooksPerModel, `must list at most ${MODELS_FILE_LIMITS.webhooksPerModel} webhooks`)
    .optional(),
  /** Extraction: the data schema (the `data_schema` form field's `replace.fields` format). */
  fields: z.array(z.unknown()).min(1, 'must list at least one field').optional(),
  /** Extraction: options applied when a form leaves them out. */
  default_options: z
    .strictObject({ raw_text: z.boolean(), polygon: z.boolean(), confidence: z.boolean(), rag: z.boolean() })
    .partial()
    .optional(),
  /** Extraction: a confidence level forced on every field, or on fields by result path. */
  confidence: z
    .union([level, z.record(z.string().regex(/^[\w.*-]{1,200}$/), level)], 'must be one of Certain, High, Medium, Low, or an object of field paths (total_amount, line_items.1, *) to those levels')
    .optional(),
  /** Classification, crop, split: the document types told apart. */
  document_types: z
    .array(text)
    .min(1, 'must list at least one type')
    .max(MODELS_FILE_LIMITS.documentTypes, `must list at most ${MODELS_FILE_LIMITS.documentTypes} types`)
    .optional(),
  /** Classification, crop, split: the extraction model whose result each part nests. */
  extraction_model_id: uuid.optional(),
  /** Every job fails with this error code. */
  fail_with: z.enum(failureCodes, `must be one of ${failureCodes.join(', ')}`).optional(),
  delete_results_on_fetch: z.boolean().optional(),
});

type ModelEntry = z.infer<typeof modelSchema>;

const fileSchema = z.strictObject({
  models: z
    .array(z.unknown())
    .min(1, 'must list at least one model')
    .max(MODELS_FILE_LIMITS.models, `must list at most ${MODELS_FILE_LIMITS.models} models`),
  /** Present in a saved search answer; ignored. */
  pagination: z.unknown().optional(),
});

/** Reads and checks a models file; throws ModelsFileError saying what is wrong and where. */
export async function loadModelsFile(path: string): Promise<EmulatorModel[]> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new ModelsFileError(`${path}: cannot read the models file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (size > MODELS_FILE_LIMITS.bytes) {
    throw new ModelsFileError(`${path}: the models file is ${size} bytes, over the limit of ${MODELS_FILE_LIMITS.bytes} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ModelsFileError(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseModels(json, path);
}

/** Checks parsed JSON in the models file's format; `source` names it in errors. */
export function parseModels(json: unknown, source: string): EmulatorModel[] {
  const file = fileSchema.safeParse(json);
  if (!file.success) throw new ModelsFileError(`${source}: ${describe(file.error)}`);
  const entries: ModelEntry[] = file.data.models.map((raw, index) => {
    const entry = modelSchema.safeParse(raw);
    if (!entry.success) throw new ModelsFileError(`${source}: ${entryName(raw, index)}: ${describe(entry.error)}`);
    return entry.data;
  });
  const byId = new Map<string, ModelEntry>();
  for (const [index, entry] of entries.entries()) {
    const where = `${source}: ${entryName(entry, index)}`;
    if (byId.has(entry.id.toLowerCase())) throw new ModelsFileError(`${where}: id ${entry.id} is used by another model too`);
    byId.set(entry.id.toLowerCase(), entry);
    const hookIds = new Set<string>();
    for (const hook of entry.webhooks ?? []) {
      if (hookIds.has(hook.id.toLowerCase())) throw new ModelsFileError(`${where}: webhook id ${hook.id} is listed twice`);
      hookIds.add(hook.id.toLowerCase());
    }
    const extraction = entry.model_type === 'extraction';
    const extractionOnly = (['fields', 'default_options', 'confidence'] as const).filter((key) => entry[key] !== undefined);
    const utilityOnly = (['document_types', 'extraction_model_id'] as const).filter((key) => entry[key] !== undefined);
    if (extraction && utilityOnly.length) {
      throw new ModelsFileError(`${where}: ${utilityOnly.join(' and ')} apply to classification, crop and split models, not extraction`);
    }
    if (!extraction && extractionOnly.length) {
      throw new ModelsFileError(`${where}: ${extractionOnly.join(' and ')} apply to extraction models, not ${entry.model_type}`);
    }
  }
  return entries.map((entry, index) => toModel(entry, `${source}: ${entryName(entry, index)}`, byId));
}

function toModel(entry: ModelEntry, where: string, byId: ReadonlyMap<string, ModelEntry>): EmulatorModel {
  const model: EmulatorModel = { id: entry.id, name: entry.name, modelType: entry.model_type, webhooks: entry.webhooks ?? [] };
  if (entry.fields) {
    const parsed = parseSchemaFields(entry.fields, '#/fields');
    if (!parsed.ok) {
      const path = (parsed.error.pointer ?? '#/fields').split('/').slice(1).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
      throw new ModelsFileError(`${where}: ${pathText(path)}: ${parsed.error.detail}`);
    }
    model.fields = parsed.fields;
  }
  if (entry.default_options) model.defaultOptions = entry.default_options;
  if (entry.confidence !== undefined) model.confidence = entry.confidence;
  if (entry.document_types) model.documentTypes = entry.document_types;
  if (entry.extraction_model_id) {
    const target = byId.get(entry.extraction_model_id.toLowerCase());
    if (target?.model_type !== 'extraction') {
      throw new ModelsFileError(`${where}: extraction_model_id ${entry.extraction_model_id} must be the id of an extraction model of this file`);
    }
    model.extractionModelId = entry.extraction_model_id;
  }
  if (entry.fail_with) model.failWith = FAILURES[entry.fail_with]();
  if (entry.delete_results_on_fetch) model.deleteResultsOnFetch = true;
  return model;
}

/** `models[2] ("Receipts")`, or `models[2]` when the entry has no usable name. */
function entryName(raw: unknown, index: number): string {
  const name = typeof raw === 'object' && raw !== null && 'name' in raw ? raw.name : undefined;
  return typeof name === 'string' && name.trim() ? `models[${index}] (${JSON.stringify(name.trim().slice(0, 80))})` : `models[${index}]`;
}

/** The first issue, as `webhooks[0].url: must be an http(s) URL`. */
function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = pathText(issue.path);
  const message = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
  return path ? `${path}: ${message}` : message;
}

/** `webhooks[0].url` from ['webhooks', 0, 'url']. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
}
