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

type PathTree = { [name: string]: PathTree | true };

function pathTree(paths: string[]): PathTree {
  const root: PathTree = {};
  for (const path of paths) {
    const parts = path.split('.').map((p) => p.trim()).filter(Boolean);
    let node = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = true;
      else {
        const next = node[part];
        if (next === true) return;
        node = node[part] = next ?? {};
      }
    });
  }
  return root;
}

/**
 * Keeps only the fields named by dotted paths (`total_amount`, `supplier_address.city`,
 * `line_items.description` — a path goes through a list into each of its items). Returns the
 * raw fields kept and the paths that named nothing.
 */
export function selectFields(fields: Record<string, unknown>, paths: string[]): { selected: Record<string, unknown>; missing: string[] } {
  const missing = new Set<string>();
  const walk = (raw: Record<string, unknown>, tree: PathTree, prefix: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [name, sub] of Object.entries(tree)) {
      const path = prefix ? `${prefix}.${name}` : name;
      const field = raw[name];
      if (!isRecord(field)) {
        missing.add(path);
        continue;
      }
      if (sub === true) out[name] = field;
      else if (isRecord(field.fields)) out[name] = { ...field, fields: walk(field.fields, sub, path) };
      else if (Array.isArray(field.items)) {
        const objects = field.items.filter((i) => isRecord(i) && isRecord(i.fields)) as RawField[];
        if (objects.length === 0 && field.items.length > 0) {
          for (const k of Object.keys(sub)) missing.add(`${path}.${k}`);
          continue;
        }
        out[name] = { ...field, items: objects.map((i) => ({ ...i, fields: walk(i.fields as Record<string, unknown>, sub, path) })) };
      } else {
        for (const k of Object.keys(sub)) missing.add(`${path}.${k}`);
      }
    }
    return out;
  };
  const selected = walk(fields, pathTree(paths), '');
  return { selected, missing: [...missing] };
}

/** Field paths a caller can ask for, two levels deep: for messages about unknown paths. */
export function availablePaths(fields: Record<string, unknown>, depth = 2, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    const path = prefix ? `${prefix}.${name}` : name;
    out.push(path);
    if (depth <= 1 || !isRecord(field)) continue;
    if (isRecord(field.fields)) out.push(...availablePaths(field.fields, depth - 1, path));
    else if (Array.isArray(field.items)) {
      const first = field.items.find((i) => isRecord(i) && isRecord(i.fields)) as RawField | undefined;
      if (first) out.push(...availablePaths(first.fields as Record<string, unknown>, depth - 1, path));
    }
  }
  return out;
}
