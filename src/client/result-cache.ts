/**
 * Results already fetched, kept in memory (bounded by count and bytes, least recently used
 * out first). Results never change once made, and some models delete theirs once fetched:
 * reading one again must not depend on the API still having it.
 */
import type { Inference } from './schemas.js';

export interface ResultCacheOptions {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_RESULT_CACHE: ResultCacheOptions = { maxEntries: 100, maxBytes: 64 * 1024 * 1024 };

export class ResultCache {
  private readonly entries = new Map<string, { inference: Inference; bytes: number }>();
  private bytes = 0;

  constructor(private readonly options: ResultCacheOptions = DEFAULT_RESULT_CACHE) {}

  get(inferenceId: string): Inference | undefined {
    const entry = this.entries.get(inferenceId);
    if (!entry) return undefined;
    // Refresh its place: Map iteration order is insertion order.
    this.entries.delete(inferenceId);
    this.entries.set(inferenceId, entry);
    return entry.inference;
  }

  /** `bytes`: the size of the JSON it came from. A result bigger than the whole cache is not kept. */
  set(inference: Inference, bytes: number): void {
    this.delete(inference.id);
    if (bytes > this.options.maxBytes || this.options.maxEntries < 1) return;
    this.entries.set(inference.id, { inference, bytes });
    this.bytes += bytes;
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && this.bytes <= this.options.maxBytes) break;
      this.entries.delete(id);
      this.bytes -= entry.bytes;
    }
  }

  delete(inferenceId: string): void {
    const entry = this.entries.get(inferenceId);
    if (!entry) return;
    this.entries.delete(inferenceId);
    this.bytes -= entry.bytes;
  }

  /** The results kept, most recently used last. */
  list(): Inference[] {
    return [...this.entries.values()].map((e) => e.inference);
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
