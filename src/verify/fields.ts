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
  return placeOf(field, {});
}

/**
 * Sets `out.page` and `out.box` from a field's first location. Every field of every result goes
 * through here: it allocates only the box (no destructuring, no iterator).
 */
function placeOf<T extends Where>(field: unknown, out: T): T {
  if (!isRecord(field) || !Array.isArray(field.locations)) return out;
  const first: unknown = field.locations[0];
  if (!isRecord(first)) return out;
  if (typeof first.page === 'number' && Number.isInteger(first.page) && first.page >= 0) out.page = first.page + 1;
  const polygon = first.polygon;
  if (Array.isArray(polygon) && polygon.length > 0) {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < polygon.length; i++) {
      const p: unknown = polygon[i];
      if (!Array.isArray(p) || typeof p[0] !== 'number' || typeof p[1] !== 'number') continue;
      x0 = Math.min(x0, p[0]);
      y0 = Math.min(y0, p[1]);
      x1 = Math.max(x1, p[0]);
      y1 = Math.max(y1, p[1]);
    }
    if (x0 <= x1 && y0 <= y1) out.box = [round4(x0), round4(y0), round4(x1), round4(y1)];
  }
  return out;
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** A simple field read as a leaf at `path`. */
export function leafOf(field: unknown, path: string): Leaf {
  const f = isRecord(field) ? field : undefined;
  const leaf: Leaf = { path, value: scalar(f?.value), confidence: isConfidence(f?.confidence) ? f.confidence : null };
  return f ? placeOf(f, leaf) : leaf;
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
 * are read, and nesting deeper than `maxDepth` is not followed: a result is outside data. With
 * `named`, only the fields of that name (the last part of their path) are returned.
 */
export function leaves(fields: RawFields, max = 50_000, maxDepth = 32, named?: string): { leaves: Leaf[]; truncated: boolean } {
  const out: Leaf[] = [];
  let read = 0;
  let truncated = false;
  const suffix = `.${named}`;
  const walk = (field: unknown, path: string, depth: number): void => {
    if (read >= max || depth > maxDepth) {
      truncated = true;
      return;
    }
    if (!isRecord(field)) return;
    if (Array.isArray(field.items)) {
      const items = field.items;
      for (let i = 0; i < items.length; i++) walk(items[i], `${path}.${i}`, depth + 1);
    } else if (isRecord(field.fields)) {
      const sub = field.fields;
      for (const key of Object.keys(sub)) walk(sub[key], `${path}.${key}`, depth + 1);
    } else {
      read++;
      // Only the leaves asked for are made (a check looking for one name reads them all).
      if (named === undefined || path === named || path.endsWith(suffix)) out.push(leafOf(field, path));
    }
  };
  for (const name of Object.keys(fields)) walk(fields[name], name, 0);
  return { leaves: out, truncated };
}
