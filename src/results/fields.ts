/**
 * Mindee's extraction fields → plain values. A field is told apart by its keys: `value` is a
 * simple field, `fields` an object field, `items` a list field; nesting goes as deep as the
 * model's schema does. Older responses omit `confidence` and `locations`.
 */

import { MindeeInputError } from '../client/errors.js';
import { quote } from '../lib/text.js';

export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };

/**
 * An object for keys that come from outside (the API's field names, a caller's paths): without
 * a prototype, a key such as "__proto__" is an ordinary key and reaches no other object.
 */
export function dict<T>(): { [key: string]: T } {
  return Object.create(null) as { [key: string]: T };
}

/** Path segments that name an object's machinery, not a field: refused in field paths. */
const RESERVED_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** Most fields read from one result: past it, the rest is left to the full JSON. */
const MAX_FIELDS_READ = 50_000;

/** How much of each simple field to return. */
export type Detail = 'values' | 'confidence' | 'full';

interface Location {
  page: number;
  polygon: number[][];
}

type RawField = Record<string, unknown>;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalar(v: unknown): string | number | boolean | null {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
}

/** A polygon as numbers: points that are not arrays are dropped, coordinates that are not numbers read 0. */
export function numberPolygon(v: unknown): number[][] {
  return Array.isArray(v) ? v.filter(Array.isArray).map((p) => (p as unknown[]).map((n) => (typeof n === 'number' ? n : 0))) : [];
}

function locations(v: unknown): Location[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isRecord).map((l) => ({ page: typeof l.page === 'number' ? l.page : 0, polygon: numberPolygon(l.polygon) }));
}

function confidence(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Counts the fields read from one result, so a result of millions of fields costs a bounded effort. */
export class FieldBudget {
  read = 0;
  constructor(readonly max = MAX_FIELDS_READ) {}
  /** Takes one; false once the budget is spent. */
  take(): boolean {
    return ++this.read <= this.max;
  }
  get exhausted(): boolean {
    return this.read > this.max;
  }
}

/** One field, any kind, to its plain form at the given detail. */
function plainField(field: unknown, detail: Detail, budget = new FieldBudget()): PlainValue {
  if (!isRecord(field)) return null;
  if ('items' in field) {
    const out: PlainValue[] = [];
    if (Array.isArray(field.items)) for (const item of field.items) {
      if (!budget.take()) break;
      out.push(plainField(item, detail, budget));
    }
    return out;
  }
  if ('fields' in field) {
    return isRecord(field.fields) ? plainFields(field.fields, detail, budget) : dict();
  }
  const value = scalar(field.value);
  if (detail === 'values') return value;
  const out = dict<PlainValue>();
  out.value = value;
  out.confidence = confidence(field.confidence);
  if (detail === 'full') out.locations = locations(field.locations) as unknown as PlainValue;
  return out;
}

/** A `fields` object to a plain value tree: simple → value, object → nested object, list → array. */
export function plainFields(fields: Record<string, unknown>, detail: Detail = 'values', budget = new FieldBudget()): { [key: string]: PlainValue } {
  const out = dict<PlainValue>();
  for (const name of Object.keys(fields)) {
    if (!budget.take()) break;
    out[name] = plainField(fields[name], detail, budget);
  }
  return out;
}

type PathTree = Map<string, PathTree | true>;

/** Dotted paths → a tree of names; a segment that names an object's machinery is refused. */
function pathTree(paths: string[]): PathTree {
  const root: PathTree = new Map();
  for (const path of paths) {
    const parts = path.split('.').map((p) => p.trim()).filter(Boolean);
    const reserved = parts.find((p) => RESERVED_SEGMENTS.has(p));
    if (reserved) {
      throw new MindeeInputError(`The field path ${quote(path, 100)} names "${reserved}", which is not a field name.`, {
        code: 'unknown_fields',
        hint: 'Give field names as the result shows them, joined by dots, e.g. "supplier_address.city".',
      });
    }
    let node = root;
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1) {
        node.set(part, true);
        break;
      }
      const next = node.get(part);
      if (next === true) break;
      const child: PathTree = next ?? new Map<string, PathTree | true>();
      node.set(part, child);
      node = child;
    }
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
    const out = dict<unknown>();
    for (const [name, sub] of tree) {
      const path = prefix ? `${prefix}.${name}` : name;
      const field = Object.hasOwn(raw, name) ? raw[name] : undefined;
      if (!isRecord(field)) {
        missing.add(path);
        continue;
      }
      if (sub === true) out[name] = field;
      else if (isRecord(field.fields)) out[name] = { ...field, fields: walk(field.fields, sub, path) };
      else if (Array.isArray(field.items)) {
        const objects = field.items.filter((i) => isRecord(i) && isRecord(i.fields)) as RawField[];
        if (objects.length === 0 && field.items.length > 0) {
          for (const k of sub.keys()) missing.add(`${path}.${k}`);
          continue;
        }
        out[name] = { ...field, items: objects.map((i) => ({ ...i, fields: walk(i.fields as Record<string, unknown>, sub, path) })) };
      } else {
        for (const k of sub.keys()) missing.add(`${path}.${k}`);
      }
    }
    return out;
  };
  const selected = walk(fields, pathTree(paths), '');
  return { selected, missing: [...missing] };
}

/** Field paths a caller can ask for, two levels deep: for messages about unknown paths. */
export function availablePaths(fields: Record<string, unknown>, depth = 2, prefix = '', limit = 200): string[] {
  const out: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    if (out.length >= limit) break;
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
