/**
 * Kept results in Redis, so a result fetched by one process — even from a model that deletes
 * its results once fetched — can be read by every other. Partitioned by a hash of the API key
 * (the key itself is never stored), bounded per partition and as a whole by count and bytes, and
 * by age (a TTL on each entry): a partition over its own bound loses its own least recently used
 * results, and a store over its bound takes from the partition holding the most (see
 * ../result-store.ts: one caller's results never push out those of a caller within its share). Scripts keep the entries and their indexes in
 * step atomically: plain commands would leave the byte count wrong whenever two processes put
 * at once.
 *
 * Each process also keeps what it put or read in its own memory, under the same bounds: while
 * Redis is away, those results are still served. The scripts are lua/results/*.lua.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ResultMeta, ResultStore, ResultStoreLimits, StoredResult } from '../result-store.js';
import { type MemoryResultStores } from '../result-store.js';
import type { RedisLink } from './link.js';
import type { ScriptName } from './scripts.js';

const metaSchema = z.object({ fileName: z.string().nullable(), product: z.string().nullable() });

function parseMeta(text: unknown): ResultMeta {
  try {
    const parsed = metaSchema.safeParse(JSON.parse(String(text)));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: no meta
  }
  return { fileName: null, product: null };
}

/** A partition's name as it appears in keys: safe characters as they are, anything else hashed. */
export function keySafe(name: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : createHash('sha256').update(name).digest('hex').slice(0, 32);
}

export class RedisResultStores {
  readonly #local: MemoryResultStores;

  constructor(
    private readonly link: RedisLink,
    private readonly limits: ResultStoreLimits,
    local: MemoryResultStores,
  ) {
    this.#local = local;
  }

  partition(name: string): ResultStore {
    const { link, limits } = this;
    const part = keySafe(name);
    const local = this.#local.partition(name);
    const run = (script: ScriptName, ...args: string[]) => link.eval(script, [], [link.prefix, part, ...args]);
    return {
      get: (id) =>
        link.sharedOr(async () => {
          const reply = (await run('resultsGet', id)) as [string, string, string | null, string | null, string | null] | null;
          // Not in Redis (expired, evicted, or lost with a Redis that restarted empty): what this process holds.
          if (!reply || reply[0] === null) return local.get(id);
          const result: StoredResult = { json: reply[0], meta: parseMeta(reply[1]) };
          if (reply[2] !== null && reply[3] !== null) result.review = { key: reply[2], json: reply[3] };
          if (reply[4] !== null) result.decisions = reply[4];
          await local.put(id, result);
          return result;
        }, () => local.get(id)),
      put: async (id, result) => {
        await local.put(id, result);
        const { ttlMs, maxEntries, maxBytes, maxEntriesPerPartition, maxBytesPerPartition } = limits;
        const meta = JSON.stringify(result.meta);
        const bounds = [ttlMs, maxEntries, maxBytes, maxEntriesPerPartition, maxBytesPerPartition].map(String);
        await link.sharedOr(() => run('resultsPut', id, result.json, meta, ...bounds), () => undefined);
      },
      delete: async (id) => {
        await local.delete(id);
        await link.sharedOr(() => run('resultsDelete', id), () => undefined);
      },
      getReview: (id) =>
        link.sharedOr(async () => {
          const reply = (await run('resultsGetReview', id)) as [string | null, string | null] | null;
          if (!reply) return local.getReview(id);
          return reply[0] !== null && reply[1] !== null ? { key: reply[0], json: reply[1] } : undefined;
        }, () => local.getReview(id)),
      putReview: async (id, review) => {
        await local.putReview(id, review);
        await link.sharedOr(() => run('resultsPutReview', id, review.key, review.json, String(limits.maxBytes)), () => undefined);
      },
      getDecisions: (id) =>
        link.sharedOr(async () => {
          const reply = (await run('resultsGetDecisions', id)) as [string | null] | null;
          return reply ? (reply[0] ?? undefined) : local.getDecisions(id);
        }, () => local.getDecisions(id)),
      putDecisions: async (id, decisions) => {
        const kept = await local.putDecisions(id, decisions);
        const maxBytes = String(Math.min(limits.maxBytes, limits.maxBytesPerPartition));
        return link.sharedOr(async () => (await run('resultsPutDecisions', id, decisions, maxBytes)) === 1, () => kept);
      },
      list: () =>
        link.sharedOr(async () => {
          const reply = (await run('resultsList')) as string[];
          const out: Array<{ inferenceId: string; meta: ResultMeta }> = [];
          for (let i = 0; i + 1 < reply.length; i += 2) out.push({ inferenceId: String(reply[i]), meta: parseMeta(reply[i + 1]) });
          return out;
        }, () => local.list()),
    };
  }
}
