/**
 * Validation of the enqueue form, in the order a client meets the problems: field syntax (one
 * 422 naming every bad field), then the input (400 when missing), then the model (404, 422 when
 * of another product), then the document itself (413, 422).
 */
import type { FormData } from 'undici';
import { UUID_RE } from './checks.js';
import { parseDataSchema } from './data-schema.js';
import { digestUpload, digestUrl, filenameFromUrl } from './document.js';
import type { DocumentDigest } from './document.js';
import { fileTooLarge, invalidFields, missingInput, modelNotFound, optionNotInPlan } from './problems.js';
import type { AppliedOptions } from './simulate-extraction.js';
import type { EmulatorModel, Problem, ProblemItem, Product, SchemaField, WebhookEndpoint } from './types.js';

const BOOLEAN_OPTIONS = ['rag', 'raw_text', 'polygon', 'confidence'] as const;
const EXTRACTION_ONLY = [...BOOLEAN_OPTIONS, 'text_context', 'data_schema'] as const;
const MAX_URL_LENGTH = 2048;

export interface EnqueueRequest {
  model: EmulatorModel;
  filename: string | null;
  alias: string | null;
  /** The model's webhooks the form picked, in the order it named them. */
  webhooks: WebhookEndpoint[];
  options: AppliedOptions;
  digest: DocumentDigest;
}

export type EnqueueOutcome = { ok: true; request: EnqueueRequest } | { ok: false; problem: Problem };

export interface EnqueueContext {
  product: Product;
  findModel: (id: string) => EmulatorModel | undefined;
  maxFileBytes: number;
}

interface FilePart {
  name: string;
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

function isFilePart(v: unknown): v is FilePart {
  return typeof v === 'object' && v !== null && typeof (v as FilePart).arrayBuffer === 'function';
}

function text(form: FormData, name: string): string | null {
  const v = form.get(name);
  return typeof v === 'string' ? v : null;
}

const fail = (p: Problem): EnqueueOutcome => ({ ok: false, problem: p });

export async function parseEnqueueForm(form: FormData, ctx: EnqueueContext): Promise<EnqueueOutcome> {
  const errors: ProblemItem[] = [];

  const modelId = text(form, 'model_id')?.trim() ?? '';
  if (!modelId) errors.push({ pointer: '#/model_id', detail: 'model_id is required' });
  else if (!UUID_RE.test(modelId)) errors.push({ pointer: '#/model_id', detail: 'model_id must be a valid UUID format' });

  const booleans: Partial<Record<(typeof BOOLEAN_OPTIONS)[number], boolean>> = {};
  for (const name of BOOLEAN_OPTIONS) {
    const v = text(form, name);
    if (v === null) continue;
    const lower = v.trim().toLowerCase();
    if (lower === 'true' || lower === 'false') booleans[name] = lower === 'true';
    else errors.push({ pointer: `#/${name}`, detail: `${name} must be "true" or "false", got "${v.slice(0, 40)}"` });
  }

  if (ctx.product !== 'extraction') {
    for (const name of EXTRACTION_ONLY) {
      if (form.has(name)) {
        errors.push({ pointer: `#/${name}`, detail: `${name} is an extraction option; the ${ctx.product} product does not accept it` });
      }
    }
  }

  let dataSchema: SchemaField[] | null = null;
  const schemaText = text(form, 'data_schema');
  if (schemaText !== null && schemaText.trim() !== '' && ctx.product === 'extraction') {
    const parsed = parseDataSchema(schemaText);
    if (parsed.ok) dataSchema = parsed.fields;
    else errors.push(parsed.error);
  }

  const webhookIds: string[] = [];
  for (const entry of form.getAll('webhook_ids')) {
    if (typeof entry !== 'string') {
      errors.push({ pointer: '#/webhook_ids', detail: 'webhook_ids must be text' });
      continue;
    }
    for (const raw of entry.split(',')) {
      const id = raw.trim();
      if (!id) continue;
      if (!UUID_RE.test(id)) errors.push({ pointer: '#/webhook_ids', detail: `"${id.slice(0, 60)}" is not a valid UUID` });
      else if (!webhookIds.includes(id.toLowerCase())) webhookIds.push(id.toLowerCase());
    }
  }

  const filePart = form.get('file');
  if (typeof filePart === 'string' && filePart !== '') {
    errors.push({ pointer: '#/file', detail: 'file must be a file part (with a filename), not a text field' });
  }
  const url = text(form, 'url');
  let parsedUrl: URL | null = null;
  if (url !== null && url !== '') {
    if (url.length > MAX_URL_LENGTH) {
      errors.push({ pointer: '#/url', detail: `url must be at most ${MAX_URL_LENGTH} characters` });
    } else {
      try {
        parsedUrl = new URL(url);
        if (parsedUrl.protocol !== 'https:') {
          errors.push({ pointer: '#/url', detail: 'url must be a public https:// URL' });
        }
      } catch {
        errors.push({ pointer: '#/url', detail: 'url is not a valid URL' });
      }
    }
  }
  const base64 = text(form, 'file_base64');
  let decoded: Buffer | null = null;
  if (base64 !== null && base64 !== '') {
    const compact = base64.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) {
      errors.push({ pointer: '#/file_base64', detail: 'file_base64 is not valid base64' });
    } else {
      decoded = Buffer.from(compact, 'base64');
    }
  }

  if (errors.length) return fail(invalidFields(errors));

  const inputs = [isFilePart(filePart) ? 'file' : null, url ? 'url' : null, base64 ? 'file_base64' : null].filter(
    (n): n is string => n !== null,
  );
  if (inputs.length === 0) return fail(missingInput());
  if (inputs.length > 1) {
    return fail(
      invalidFields([{ pointer: '#/file', detail: `send exactly one of file, url or file_base64 (got ${inputs.join(', ')})` }]),
    );
  }

  const model = ctx.findModel(modelId.toLowerCase());
  if (!model) return fail(modelNotFound(modelId));
  if (model.modelType !== ctx.product) {
    return fail(
      invalidFields([
        {
          pointer: '#/model_id',
          detail: `model ${model.id} is a ${model.modelType} model; send it to /v2/products/${model.modelType}/enqueue`,
        },
      ]),
    );
  }
  const refused = (model.refusedOptions ?? []).find((option) => booleans[option] === true);
  if (refused) return fail(optionNotInPlan(refused));
  const known = new Map((model.webhooks ?? []).map((w) => [w.id.toLowerCase(), w]));
  const unknown = webhookIds.filter((id) => !known.has(id));
  if (unknown.length) {
    return fail(
      invalidFields(unknown.map((id) => ({ pointer: '#/webhook_ids', detail: `webhook ${id} is not configured on model ${model.id}` }))),
    );
  }
  const webhooks = webhookIds.flatMap((id) => known.get(id) ?? []);

  const declaredName = text(form, 'filename')?.trim() || null;
  let digest: DocumentDigest;
  let filename: string | null;
  if (parsedUrl) {
    digest = digestUrl(parsedUrl);
    filename = declaredName ?? filenameFromUrl(parsedUrl);
  } else {
    const pointer = decoded ? '#/file_base64' : '#/file';
    let bytes: Buffer;
    if (decoded) {
      bytes = decoded;
    } else {
      const part = filePart as FilePart;
      if (part.size > ctx.maxFileBytes) return fail(fileTooLarge(ctx.maxFileBytes));
      bytes = Buffer.from(await part.arrayBuffer());
    }
    if (bytes.length > ctx.maxFileBytes) return fail(fileTooLarge(ctx.maxFileBytes));
    const outcome = digestUpload(bytes, pointer);
    if (!outcome.ok) return fail(outcome.problem);
    digest = outcome.digest;
    filename = declaredName ?? (decoded ? null : (filePart as FilePart).name || null);
  }

  const defaults = model.defaultOptions ?? {};
  const extraction = ctx.product === 'extraction';
  const textContext = extraction ? text(form, 'text_context') : null;
  const options: AppliedOptions = {
    raw_text: extraction && (booleans.raw_text ?? defaults.raw_text ?? false),
    polygon: extraction && (booleans.polygon ?? defaults.polygon ?? false),
    confidence: extraction && (booleans.confidence ?? defaults.confidence ?? false),
    rag: extraction && (booleans.rag ?? defaults.rag ?? false),
    text_context: textContext && textContext.trim() ? textContext : null,
    data_schema: dataSchema,
  };
  const alias = text(form, 'alias')?.trim() || null;
  return { ok: true, request: { model, filename, alias, webhooks, options, digest } };
}
