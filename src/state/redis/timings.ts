/**
 * What the poll planner learned, shared on Redis: every process adds the samples of the jobs it
 * saw, and reads what the others learned, so a replica that starts (or restarts) is warm at once.
 * Reads stay synchronous from the local copy (the planner asks before every poll); samples are
 * written in batches shortly after they are learned, and the others' are read back then and
 * every half minute. Bounded as the file store is: samples per model, models in all (the least
 * recently learned forgotten first), atomically (lua/timings/add.lua: two processes adding at once
 * both keep theirs). Only model ids, products and timings are stored.
 */
import { z } from 'zod';
import type { TimerHandle } from '../../lib/clock.js';
import { MemoryTimingStore, TIMING_LIMITS, type ModelTimings, type TimingSample } from '../timings.js';
import type { RedisLink } from './link.js';

const modelSchema = z.object({
  product: z.string().regex(/^[a-z_]{1,32}$/).nullable(),
  samples: z.array(z.tuple([z.number().int().min(0), z.number().min(0), z.number().int().min(0)])).max(TIMING_LIMITS.samplesPerModel),
});

/** How long new samples wait before they are written, so a burst of jobs is one write. */
const WRITE_AFTER_MS = 1_000;
/** How often what the other processes learned is read. */
const READ_EVERY_MS = 30_000;

export class RedisTimingStore extends MemoryTimingStore {
  override readonly ready: Promise<void>;
  readonly #link: RedisLink;
  readonly #pending: string[] = [];
  #writeTimer: TimerHandle | undefined;
  #readTimer: TimerHandle | undefined;
  #closed = false;

  constructor(link: RedisLink) {
    super();
    this.#link = link;
    this.ready = this.#read();
    this.#scheduleRead();
  }

  override record(modelId: string, product: string | null, sample: TimingSample): void {
    const before = this.version;
    super.record(modelId, product, sample);
    if (this.version === before) return; // refused as invalid
    // Bounded by what one write carries: beyond it, the oldest unsent samples are dropped.
    if (this.#pending.length >= 5 * TIMING_LIMITS.samplesPerModel * 8) this.#pending.splice(0, 5);
    this.#pending.push(modelId, product ?? '', String(sample.pages ?? 0), String(Math.round(sample.ms)), String(Math.floor(sample.at / 1000)));
    this.#writeTimer ??= this.#link.clock.setTimeout(() => {
      this.#writeTimer = undefined;
      void this.flush();
    }, WRITE_AFTER_MS);
  }

  /** Writes what is not yet; never rejects (while Redis is away, samples stay local). */
  override async flush(): Promise<void> {
    if (this.#writeTimer !== undefined) this.#link.clock.clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    if (this.#pending.length === 0) return;
    const batch = this.#pending.splice(0);
    const keys = [this.#key('models'), this.#key('recent')];
    // While Redis is away, kept for the next write.
    await this.#link.sharedOr(() => this.#link.eval('timingsAdd', keys, [String(TIMING_LIMITS.samplesPerModel), String(TIMING_LIMITS.models), ...batch]), () => this.#pending.unshift(...batch));
  }

  close(): void {
    this.#closed = true;
    for (const timer of [this.#writeTimer, this.#readTimer]) if (timer !== undefined) this.#link.clock.clearTimeout(timer);
  }

  #key(name: string): string {
    return this.#link.key(`timings:${name}`);
  }

  #scheduleRead(): void {
    if (this.#closed) return;
    this.#readTimer = this.#link.clock.setTimeout(() => {
      void this.#read().finally(() => this.#scheduleRead());
    }, READ_EVERY_MS);
  }

  /** Adds what is in Redis to the local copy; never rejects. */
  async #read(): Promise<void> {
    const reply = await this.#link.sharedOr(() => this.#link.command(['HGETALL', this.#key('models')]), () => null);
    if (reply === null) return;
    const models = new Map<string, ModelTimings>();
    const entries = Array.isArray(reply) ? chunkPairs(reply) : Object.entries((reply ?? {}) as Record<string, unknown>);
    for (const [id, raw] of entries.slice(0, TIMING_LIMITS.models)) {
      let parsed;
      try {
        parsed = modelSchema.safeParse(JSON.parse(String(raw)));
      } catch {
        continue;
      }
      if (!parsed.success || !/^[A-Za-z0-9_-]{1,128}$/.test(String(id))) continue;
      models.set(String(id), {
        product: parsed.data.product,
        samples: parsed.data.samples.map(([pages, ms, at]) => ({ pages: pages > 0 ? pages : null, ms, at: at * 1000 })),
      });
    }
    if (models.size > 0) this.absorb(models);
  }
}

function chunkPairs(flat: unknown[]): Array<[unknown, unknown]> {
  const out: Array<[unknown, unknown]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}
