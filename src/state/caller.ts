/**
 * Who is calling, made once at the edge and handed down as a plain value: stdio — the process
 * with its key; HTTP — the caller's Mindee key (its hash), the bearer token (its hash), or the
 * OAuth issuer and subject (their hash, whole); `none` — one anonymous caller. Every state
 * operation (jobs, results, tasks, uploads) is scoped by `id`, a plain string in the stores.
 */
import { createHash } from 'node:crypto';

export interface Caller {
  /** Stable, not secret, never cut: the owner of jobs, results, tasks and uploads. */
  readonly id: string;
}

/** A credential or an identity as a caller id: its whole SHA-256, so no two differ only past a cut. */
export function callerDigest(...parts: string[]): string {
  return createHash('sha256').update(parts.length === 1 ? parts[0]! : JSON.stringify(parts)).digest('hex');
}
