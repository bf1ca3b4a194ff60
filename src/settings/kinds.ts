/**
 * The kinds of value a setting takes, as zod schemas whose messages name the setting to fix:
 * seconds, whole numbers, megabytes, lists, on/off, URLs, optional text.
 */
import { z } from 'zod';

export const seconds = (name: string, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number of seconds` })
    .refine((n) => Number.isFinite(n) && n > 0 && n <= max, { error: `${name} must be more than 0 and at most ${max} seconds` });

/** A whole number setting, at least `min`, whose messages name its variable. */
export const count = (name: string, min: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, min === 0 ? `${name} must be 0 or more` : `${name} must be at least ${min}`);

/** A number of megabytes, at least `min` (and at most `max`). */
export const megabytes = (name: string, min: number, max?: number) => {
  const atLeast = z.coerce.number({ error: `${name} must be a number` }).min(min, min === 0 ? `${name} must be 0 or more` : `${name} must be at least ${min}`);
  return max === undefined ? atLeast : atLeast.max(max, `${name} must be at most ${max}`);
};

/** A comma-separated list (empty entries dropped). */
export const list = (name: string, max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((e) => e.trim()).filter(Boolean))
    .refine((v) => v.length <= max, `${name} takes at most ${max} entries`);

/** An on/off setting: on, off, true, false, yes, no, 1, 0. */
export const onOff = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .refine((v) => v === undefined || v === '' || /^(on|off|true|false|yes|no|1|0)$/.test(v), `${name} must be on or off`)
    .transform((v) => (v === undefined || v === '' ? undefined : /^(on|true|yes|1)$/.test(v)));

/** Text that is absent when empty. */
export const optionalText = () =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined));

export const httpUrl = (name: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v.replace(/\/+$/, '') : undefined))
    .refine((v) => {
      if (v === undefined) return true;
      try {
        const u = new URL(v);
        return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && !u.search && !u.hash;
      } catch {
        return false;
      }
    }, `${name} must be an http(s) URL without credentials, query or fragment`);

/** An on-or-off value of a boolean flag's variable. */
export function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}
