/**
 * Mindee's extraction fields → plain values. A field is told apart by its keys: `value` is a
 * simple field, `fields` an object field, `items` a list field; nesting goes as deep as the
 * model's schema does. Older responses omit `confidence` and `locations`.
 */

export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };

/** How much of each simple field to return. */
export type Detail = 'values' | 'confidence' | 'full';

export interface Location {
  page: number;
  polygon: number[][];
}

type RawField = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalar(v: unknown): string | number | boolean | null {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
}

function locations(v: unknown): Location[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isRecord).map((l) => ({
    page: typeof l.page === 'number' ? l.page : 0,
    polygon: Array.isArray(l.polygon)
      ? l.polygon.filter(Array.isArray).map((p) => (p as unknown[]).map((n) => (typeof n === 'number' ? n : 0)))
      : [],
  }));
}

function confidence(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** One field, any kind, to its plain form at the given detail. */
export function plainField(field: unknown, detail: Detail): PlainValue {
  if (!isRecord(field)) return null;
  if ('items' in field) {
    return Array.isArray(field.items) ? field.items.map((item) => plainField(item, detail)) : [];
  }
  if ('fields' in field) {
    return isRecord(field.fields) ? plainFields(field.fields, detail) : {};
  }
  const value = scalar(field.value);
  if (detail === 'values') return value;
  const out: { [key: string]: PlainValue } = { value, confidence: confidence(field.confidence) };
  if (detail === 'full') out.locations = locations(field.locations) as unknown as PlainValue;
  return out;
}

/** A `fields` object to a plain value tree: simple → value, object → nested object, list → array. */
export function plainFields(fields: Record<string, unknown>, detail: Detail = 'values'): { [key: string]: PlainValue } {
  const out: { [key: string]: PlainValue } = {};
  for (const [name, field] of Object.entries(fields)) out[name] = plainField(field as RawField, detail);
  return out;
}
