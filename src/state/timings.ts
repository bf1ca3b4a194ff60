/**
 * What the poll planner learned: how long each model's jobs take, and with how many pages. Only
 * model ids, products and timing samples are kept — never keys, file names or document data.
 * The in-memory store serves one process and forgets at exit; the file store keeps the same
 * statistics in a small file so that a restarted process starts warm; a shared backend (Redis)
 * implements the same interface.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { BoundedMap } from '../lib/bounded-map.js';
import { systemClock, type Clock, type TimerHandle } from '../lib/clock.js';

export interface TimingSample {
  /** Pages of the document, when they were known. */
  pages: number | null;
  /** Processing time, as Mindee measured it (completed_at − created_at). */
  ms: number;
  /** When the job completed (ms since epoch): the newest samples are the ones kept. */
  at: number;
}

export interface ModelTimings {
  /** The product the model's jobs were sent to, when known. */
  product: string | null;
  /** Oldest first; at most TIMING_LIMITS.samplesPerModel. */
  samples: readonly TimingSample[];
}

/**
 * Reads are synchronous (the planner asks before every poll): an implementation backed by a
 * shared service keeps a local copy, loaded by `ready` and updated as it records.
 */
export interface TimingStore {
  /** Settles once what an earlier process kept has been read; never rejects. */
  readonly ready: Promise<void>;
  /** Changes whenever what is known changes, so figures derived from it can be cached. */
  readonly version: number;
  get(modelId: string): ModelTimings | undefined;
  /** Every model known, least recently learned first. */
  models(): Iterable<[string, ModelTimings]>;
  /** Records one finished job; an implementation that persists does so later, never on the caller's time. */
  record(modelId: string, product: string | null, sample: TimingSample): void;
  /** Persists what is not yet (at shutdown); never rejects. */
  flush(): Promise<void>;
}

export const TIMING_LIMITS = Object.freeze({
  samplesPerModel: 64,
  models: 128,
  /** A file larger than this was not written by this program: it is ignored. */
  fileBytes: 1024 * 1024,
});

const MODEL_ID = /^[A-Za-z0-9_-]{1,128}$/;
const PRODUCT = /^[a-z_]{1,32}$/;
/** Mindee ends an inference after 590 s: a longer "processing time" is a clock error. */
const MAX_SAMPLE_MS = 3_600_000;
const MAX_PAGES = 100_000;

function validSample(s: TimingSample): boolean {
  return (
    Number.isFinite(s.ms) &&
    s.ms >= 0 &&
    s.ms <= MAX_SAMPLE_MS &&
    Number.isFinite(s.at) &&
    s.at >= 0 &&
    (s.pages === null || (Number.isInteger(s.pages) && s.pages >= 1 && s.pages <= MAX_PAGES))
  );
}

/** The union of two sample lists (a sample seen by both counted once), the newest kept. */
function mergeSamples(a: readonly TimingSample[], b: readonly TimingSample[]): TimingSample[] {
  const byKey = new Map<string, TimingSample>();
  // The file keeps seconds: a sample read back must meet its in-memory self.
  for (const s of [...a, ...b]) byKey.set(`${s.pages ?? 0}:${Math.round(s.ms)}:${Math.floor(s.at / 1000)}`, s);
  return [...byKey.values()].sort((x, y) => x.at - y.at).slice(-TIMING_LIMITS.samplesPerModel);
}

const newest = (t: ModelTimings) => t.samples.at(-1)?.at ?? 0;

/** The in-memory store: bounded per model and in models, least recently learned forgotten first. */
export class MemoryTimingStore implements TimingStore {
  readonly ready: Promise<void> = Promise.resolve();
  readonly #models = new BoundedMap<string, ModelTimings>(TIMING_LIMITS.models);
  #version = 0;

  get version(): number {
    return this.#version;
  }

  get(modelId: string): ModelTimings | undefined {
    return this.#models.peek(modelId);
  }

  models(): Iterable<[string, ModelTimings]> {
    return this.#models.entries();
  }

  record(modelId: string, product: string | null, sample: TimingSample): void {
    if (!MODEL_ID.test(modelId) || !validSample(sample) || (product !== null && !PRODUCT.test(product))) return;
    const known = this.#models.peek(modelId);
    const samples = [...(known?.samples ?? []), sample].slice(-TIMING_LIMITS.samplesPerModel);
    this.#models.set(modelId, { product: product ?? known?.product ?? null, samples });
    this.#version++;
    this.changed();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Called after each record: a persistent store schedules a write. */
  protected changed(): void {}

  /** Adds what another process learned, as one more source of samples. */
  protected absorb(models: Map<string, ModelTimings>): void {
    // Oldest first, so the most recently learned models are the last to be forgotten.
    for (const [id, theirs] of [...models].sort(([, a], [, b]) => newest(a) - newest(b))) {
      const mine = this.#models.peek(id);
      const samples = mergeSamples(mine?.samples ?? [], theirs.samples);
      this.#models.set(id, { product: mine?.product ?? theirs.product, samples });
    }
    this.#version++;
  }

  /** A copy of everything known, for writing. */
  protected snapshot(): Map<string, ModelTimings> {
    return new Map(this.#models.entries());
  }
}

// ---- the state file --------------------------------------------------------------------------

export const TIMINGS_FILE = 'poll-timings.json';
const FORMAT = 'mindee-mcp poll timings';
const VERSION = 1;
/** A lock older than this was left by a process that died while writing. */
const STALE_LOCK_MS = 10_000;
/** How long a write waits for another process's write before going ahead without the lock. */
const LOCK_WAIT_MS = 2_000;

const fileSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  models: z
    .record(
      z.string().regex(MODEL_ID),
      z.object({
        product: z.string().regex(PRODUCT).nullable(),
        // [pages (0: unknown), ms, completed at (s since epoch)]
        samples: z
          .array(z.tuple([z.number().int().min(0).max(MAX_PAGES), z.number().min(0).max(MAX_SAMPLE_MS), z.number().int().min(0)]))
          .max(TIMING_LIMITS.samplesPerModel),
      }),
    )
    .refine((models) => Object.keys(models).length <= TIMING_LIMITS.models, `more than ${TIMING_LIMITS.models} models`),
});
type TimingsFile = z.infer<typeof fileSchema>;

function toFile(models: Map<string, ModelTimings>): TimingsFile {
  const kept = [...models].sort(([, a], [, b]) => newest(b) - newest(a)).slice(0, TIMING_LIMITS.models);
  return {
    format: FORMAT,
    version: VERSION,
    models: Object.fromEntries(
      kept.map(([id, t]) => [id, { product: t.product, samples: t.samples.map((s) => [s.pages ?? 0, Math.round(s.ms), Math.floor(s.at / 1000)] as [number, number, number]) }]),
    ),
  };
}

function fromFile(file: TimingsFile): Map<string, ModelTimings> {
  return new Map(
    Object.entries(file.models).map(([id, t]) => [
      id,
      { product: t.product, samples: t.samples.map(([pages, ms, at]) => ({ pages: pages > 0 ? pages : null, ms, at: at * 1000 })) },
    ]),
  );
}

/** Why a file that exists cannot be used, or its content. */
type Read = { models: Map<string, ModelTimings> } | { problem: string };

export interface FileTimingStoreOptions {
  /** The directory of the state file; created when first written. */
  dir: string;
  /** Told once per kind of problem: a file that cannot be used, a write that failed. Never throws. */
  warn?: (message: string) => void;
  /** Called after each successful write. */
  onSaved?: () => void;
  /** How long new samples wait before they are written, so a burst of jobs is one write. */
  debounceMs?: number;
  clock?: Clock;
}

/**
 * The statistics in `<dir>/poll-timings.json`. Read once at start, defensively: a missing file
 * is a first run, a corrupt, foreign, oversized or other-version one is ignored (and replaced
 * at the next write) with a warning. Written after a quiet spell and at shutdown, atomically (a
 * temporary file renamed over it), merged with what the file holds at that moment, under a lock
 * file, so processes writing at once each keep what the others learned.
 */
export class FileTimingStore extends MemoryTimingStore {
  override readonly ready: Promise<void>;
  readonly path: string;
  readonly #dir: string;
  readonly #warn: (message: string) => void;
  readonly #warned = new Set<string>();
  readonly #onSaved: (() => void) | undefined;
  readonly #debounceMs: number;
  readonly #clock: Clock;
  #dirty = false;
  #timer: TimerHandle | undefined;
  #flushing: Promise<void> | null = null;

  constructor(options: FileTimingStoreOptions) {
    super();
    this.#dir = options.dir;
    this.path = join(options.dir, TIMINGS_FILE);
    this.#warn = options.warn ?? (() => {});
    this.#onSaved = options.onSaved;
    this.#debounceMs = options.debounceMs ?? 2000;
    this.#clock = options.clock ?? systemClock;
    this.ready = this.#load();
  }

  override flush(): Promise<void> {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  protected override changed(): void {
    this.#dirty = true;
    // Not re-armed by each sample: a steady stream of jobs is still written every debounceMs.
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#debounceMs);
  }

  async #load(): Promise<void> {
    const read = await this.#read();
    if ('models' in read) this.absorb(read.models);
    else if (read.problem) this.#warnOnce('read', `${read.problem}; it is ignored, and replaced once new timings are learned.`);
  }

  async #drain(): Promise<void> {
    await this.ready;
    while (this.#dirty) {
      this.#dirty = false;
      try {
        await this.#write();
        this.#onSaved?.();
      } catch (error) {
        this.#warnOnce(
          'write',
          `Could not save the learned poll timings to ${this.path} (${(error as Error).message}); they stay in memory for this session. ` +
            'Set MINDEE_MCP_STATE_DIR to a writable directory, or to off to keep nothing.',
        );
        return;
      }
    }
  }

  async #read(): Promise<Read> {
    let text: string;
    try {
      const handle = await open(this.path, 'r');
      try {
        const info = await handle.stat();
        if (!info.isFile()) return { problem: `The poll timings file ${this.path} is not a regular file` };
        // Read one byte past the bound: the file may have grown since stat.
        const buffer = Buffer.alloc(Math.min(info.size, TIMING_LIMITS.fileBytes) + 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        if (bytesRead > TIMING_LIMITS.fileBytes) return { problem: `The poll timings file ${this.path} is larger than ${TIMING_LIMITS.fileBytes / 1024} KiB` };
        text = buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      // No file (or not even its directory) yet: a first run. A path that cannot be written is told at the first write.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { models: new Map() };
      return { problem: `The poll timings file ${this.path} could not be read (${(error as Error).message})` };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { problem: `The poll timings file ${this.path} is not valid JSON` };
    }
    const head = json as { format?: unknown; version?: unknown } | null;
    if (typeof head !== 'object' || head === null || head.format !== FORMAT) return { problem: `The file ${this.path} is not a mindee-mcp poll timings file` };
    if (head.version !== VERSION) return { problem: `The poll timings file ${this.path} has version ${String(head.version)}, not ${VERSION}` };
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) return { problem: `The poll timings file ${this.path} is damaged (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})` };
    return { models: fromFile(parsed.data) };
  }

  async #write(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const unlock = await this.#lock();
    try {
      // What other processes wrote since is merged in, not overwritten; a damaged file is replaced.
      const onDisk = await this.#read();
      if ('models' in onDisk) this.absorb(onDisk.models);
      const temp = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(temp, `${JSON.stringify(toFile(this.snapshot()))}\n`, { mode: 0o600, flag: 'wx' });
        await rename(temp, this.path);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    } finally {
      await unlock?.();
    }
  }

  /** Takes the lock file; null when another writer held it too long (the write goes ahead, merged). */
  async #lock(): Promise<(() => Promise<void>) | null> {
    const lock = `${this.path}.lock`;
    const giveUpAt = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await (await open(lock, 'wx', 0o600)).close();
        return () => rm(lock, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      try {
        if (Date.now() - (await stat(lock)).mtimeMs > STALE_LOCK_MS) {
          await rm(lock, { force: true });
          continue;
        }
      } catch {
        continue; // released meanwhile
      }
      if (Date.now() >= giveUpAt) return null;
      // Another process's write takes milliseconds: retry soon, at a jittered pace.
      await delay(5 + Math.random() * 20);
    }
  }

  #warnOnce(kind: string, message: string): void {
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    try {
      this.#warn(message);
    } catch {
      // a warning must not break the store
    }
  }
}
