/**
 * The `data_schema` form field: a JSON string `{"replace":{"fields":[…]}}` that replaces the
 * model's fields for one inference. Validated the way a strict server would, with a pointer to
 * the first thing wrong.
 */
import type { ProblemItem, SchemaField, SchemaFieldType } from './types.js';

const TYPES: readonly SchemaFieldType[] = ['string', 'number', 'integer', 'boolean', 'date', 'datetime', 'classification', 'nested_object'];
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_DEPTH = 5;

export type DataSchemaOutcome = { ok: true; fields: SchemaField[] } | { ok: false; error: ProblemItem };

export function parseDataSchema(text: string): DataSchemaOutcome {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('#/data_schema', 'data_schema must be a JSON string');
  }
  if (!isRecord(json) || !isRecord(json.replace)) {
    return fail('#/data_schema/replace', 'data_schema must be an object with a "replace" object');
  }
  const fields = json.replace.fields;
  if (!Array.isArray(fields) || fields.length === 0) {
    return fail('#/data_schema/replace/fields', 'replace.fields must be a non-empty array of fields');
  }
  return parseSchemaFields(fields, '#/data_schema/replace/fields');
}

/** A list of fields in the data schema's format (also the models file's `fields`), checked as above. */
export function parseSchemaFields(list: unknown[], pointer: string): DataSchemaOutcome {
  const parsed = parseFields(list, pointer, 0);
  return 'error' in parsed ? { ok: false, error: parsed.error } : { ok: true, fields: parsed.fields };
}

function parseFields(list: unknown[], pointer: string, depth: number): { fields: SchemaField[] } | { error: ProblemItem } {
  const out: SchemaField[] = [];
  const names = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const at = `${pointer}/${i}`;
    const f = list[i];
    if (!isRecord(f)) return { error: { pointer: at, detail: 'each field must be an object' } };
    if (typeof f.name !== 'string' || !NAME.test(f.name)) {
      return { error: { pointer: `${at}/name`, detail: 'name must be a string of letters, digits and underscores' } };
    }
    if (names.has(f.name)) return { error: { pointer: `${at}/name`, detail: `duplicate field name "${f.name}"` } };
    names.add(f.name);
    if (typeof f.type !== 'string' || !(TYPES as readonly string[]).includes(f.type)) {
      return { error: { pointer: `${at}/type`, detail: `type must be one of ${TYPES.join(', ')}` } };
    }
    for (const key of ['title', 'description', 'guidelines'] as const) {
      if (f[key] !== undefined && f[key] !== null && typeof f[key] !== 'string') {
        return { error: { pointer: `${at}/${key}`, detail: `${key} must be a string` } };
      }
    }
    for (const key of ['is_array', 'unique_values'] as const) {
      if (f[key] !== undefined && f[key] !== null && typeof f[key] !== 'boolean') {
        return { error: { pointer: `${at}/${key}`, detail: `${key} must be a boolean` } };
      }
    }
    const field: SchemaField = { name: f.name, type: f.type as SchemaFieldType, is_array: f.is_array === true };
    if (typeof f.title === 'string') field.title = f.title;
    if (typeof f.description === 'string') field.description = f.description;
    if (typeof f.guidelines === 'string') field.guidelines = f.guidelines;
    if (f.type === 'classification') {
      const values = f.classification_values;
      if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string')) {
        return { error: { pointer: `${at}/classification_values`, detail: 'a classification field needs a non-empty list of string values' } };
      }
      field.classification_values = values as string[];
    }
    if (f.type === 'nested_object') {
      if (depth + 1 >= MAX_DEPTH) return { error: { pointer: at, detail: `fields cannot be nested more than ${MAX_DEPTH} levels deep` } };
      const nested = normaliseNested(f.nested_fields);
      if (!nested || nested.length === 0) {
        return { error: { pointer: `${at}/nested_fields`, detail: 'a nested_object field needs a non-empty nested_fields list' } };
      }
      const sub = parseFields(nested, `${at}/nested_fields`, depth + 1);
      if ('error' in sub) return sub;
      field.nested_fields = sub.fields;
    }
    out.push(field);
  }
  return { fields: out };
}

/** nested_fields as a list, or as an object keyed by field name (both shapes are seen). */
function normaliseNested(value: unknown): unknown[] | null {
  if (Array.isArray(value)) return value;
  if (isRecord(value)) return Object.entries(value).map(([name, spec]) => (isRecord(spec) ? { name, ...spec } : spec));
  return null;
}

function fail(pointer: string, detail: string): DataSchemaOutcome {
  return { ok: false, error: { pointer, detail } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
