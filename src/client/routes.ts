/**
 * The Mindee v2 API's routes and ids: which characters an id may have, the route of a result of
 * each product, what a result URL says (its inference id, its product), and which options a
 * refused enqueue names. Pure functions.
 */
import { quote } from '../lib/text.js';
import { MindeeApiError, MindeeInputError } from './errors.js';
import type { Product } from './schemas.js';

export const DEFAULT_BASE_URL = 'https://api-v2.mindee.net';

export const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Checks an id that goes into a URL path: letters, digits, `-` and `_` only. */
export function checkId(id: unknown, what: string): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new MindeeInputError(`Invalid ${what} ${quote(String(id), 80)}: ids contain only letters, digits, "-" and "_".`, {
      code: 'invalid_id',
      hint: `Pass the ${what} exactly as a previous answer gave it.`,
    });
  }
  return encodeURIComponent(id);
}

/** Whether `id` could go into a URL path (see checkId). */
export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** The inference id at the end of a result URL (`…/inferences/{id}` or `…/results/{id}`). */
export function inferenceIdFromResultUrl(resultUrl: string | null): string | null {
  if (!resultUrl) return null;
  try {
    const last = new URL(resultUrl).pathname.split('/').filter(Boolean).pop();
    return last && ID_PATTERN.test(decodeURIComponent(last)) ? decodeURIComponent(last) : null;
  } catch {
    return null;
  }
}

/** The product whose results a result URL points at. */
export function productFromResultUrl(resultUrl: string | null): Product | null {
  if (!resultUrl) return null;
  try {
    const parts = new URL(resultUrl).pathname.split('/').filter(Boolean);
    const i = parts.lastIndexOf('products');
    const product = parts[i + 1];
    if (i >= 0 && parts[i + 2] === 'results' && isProduct(product)) return product;
    if (parts.includes('inferences')) return 'extraction';
  } catch {
    // not a URL: no product
  }
  return null;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof MindeeApiError && error.status === 404;
}

export function isProduct(value: string | undefined): value is Product {
  return value === 'extraction' || value === 'classification' || value === 'crop' || value === 'ocr' || value === 'split';
}

/** The route of a result of a product, below the API's base URL (`id` already encoded). */
export function resultPath(product: Product, id: string): string {
  return product === 'extraction' ? `v2/inferences/${id}` : `v2/products/${product}/results/${id}`;
}

/** The route of an enqueue of a product, below the API's base URL. */
export function enqueuePath(product: Product): string {
  return product === 'extraction' ? 'v2/inferences/enqueue' : `v2/products/${product}/enqueue`;
}

/**
 * The options among `candidates` that a refused enqueue names: a 4xx other than a bad key, a
 * missing route, a time-out or a rate limit, whose pointers or text name the option.
 */
export function refusedOptions<O extends string>(error: unknown, candidates: O[]): O[] {
  if (!(error instanceof MindeeApiError) || candidates.length === 0) return [];
  if (error.status < 400 || error.status >= 500 || [401, 404, 408, 413, 429].includes(error.status)) return [];
  const pointers = error.errors.map((e) => (e.pointer ?? '').replace(/^#?\//, ''));
  const text = [error.title, error.detail, ...error.errors.map((e) => e.detail)].join(' ').toLowerCase();
  return candidates.filter((o) => pointers.includes(o) || new RegExp(`\\b${o}\\b`).test(text));
}
