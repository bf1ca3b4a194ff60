/**
 * Reading Mindee's raw extraction fields for checks: a simple field's value, confidence and
 * first location, by name; the items of a list; every simple field with its dotted path.
 */
import type { Box, ConfidenceLevel } from './types.js';
import { isConfidence } from './types.js';

export type Scalar = string | number | boolean | null;
export type RawFields = Record<string, unknown>;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface Where {
  page?: number;
  box?: Box;
}

/** One simple field as the checks see it. */
export interface Leaf extends Where {
  path: string;
  value: Scalar;
  confidence: ConfidenceLevel | null;
}

function scalar(v: unknown): Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
}

/** The page (1-based) and box of a field's first location, when it has one. */
export function whereOf(field: unknown): Where {
  if (!isRecord(field) || !Array.isArray(field.locations)) return {};
  const first: unknown = field.locations[0];
  if (!isRecord(first)) return {};
  const out: Where = {};
  if (typeof first.page === 'number' && Number.isInteger(first.page) && first.page >= 0) out.page = first.page + 1;
  if (Array.isArray(first.polygon) && first.polygon.length > 0) {
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const p of first.polygon) {
      if (!Array.isArray(p) || typeof p[0] !== 'number' || typeof p[1] !== 'number') continue;
      x0 = Math.min(x0, p[0]);
      y0 = Math.min(y0, p[1]);
      x1 = Math.max(x1, p[0]);
      y1 = Math.max(y1, p[1]);
    }
    if (x0 <= x1 && y0 <= y1) out.box = [x0, y0, x1, y1].map((n) => Math.round(n * 10_000) / 10_000) as Box;
  }
  return out;
}

/** A simple field read as a leaf at `path`. */
export function leafOf(field: unknown, path: string): Leaf {
  const f = isRecord(field) ? field : {};
  return { path, value: scalar(f.value), confidence: isConfidence(f.confidence) ? f.confidence : null, ...whereOf(f) };
}

/** The simple field `name` of `fields`, or undefined when there is none (a list or object is not one). */
export function simple(fields: RawFields, name: string, prefix = ''): Leaf | undefined {
  const f = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (!isRecord(f) || !('value' in f) || 'fields' in f || 'items' in f) return undefined;
  return leafOf(f, prefix + name);
}

/** The sub-fields of object field `name`, or undefined. */
export function object(fields: RawFields, name: string): RawFields | undefined {
  const f = Object.hasOwn(fields, name) ? fields[name] : undefined;
  return isRecord(f) && isRecord(f.fields) ? f.fields : undefined;
}

/** The items of list field `name`: each object item's sub-fields (other items skipped), with its index. */
export function items(fields: RawFields, name: string): Array<{ index: number; fields: RawFields }> | undefined {
  const f = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (!isRecord(f) || !Array.isArray(f.items)) return undefined;
  const out: Array<{ index: number; fields: RawFields }> = [];
  f.items.forEach((item, index) => {
    if (isRecord(item) && isRecord(item.fields)) out.push({ index, fields: item.fields });
  });
  return out;
}

/**
 * Every simple field, depth first, with its dotted path (list items by index). At most `max`
 * are read, and nesting deeper than `maxDepth` is not followed: a result is outside data.
 */
export function leaves(fields: RawFields, max = 50_000, maxDepth = 32): { leaves: Leaf[]; truncated: boolean } {
  const out: Leaf[] = [];
  let truncated = false;
  const walk = (field: unknown, path: string, depth: number): void => {
    if (out.length >= max || depth > maxDepth) {
      truncated = true;
      return;
    }
    if (!isRecord(field)) return;
    if (Array.isArray(field.items)) {
      field.items.forEach((item, i) => walk(item, `${path}.${i}`, depth + 1));
    } else if (isRecord(field.fields)) {
      for (const name of Object.keys(field.fields)) walk(field.fields[name], `${path}.${name}`, depth + 1);
    } else {
      out.push(leafOf(field, path));
    }
  };
  for (const name of Object.keys(fields)) walk(fields[name], name, 0);
  return { leaves: out, truncated };
}
