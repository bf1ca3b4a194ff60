/**
 * A Map that keeps at most `max` entries, dropping the least recently used first (Map keeps
 * insertion order; reading an entry moves it to the end). The one bounded map of the project:
 * every memory of ids and results read from outside goes through it.
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(
    readonly max: number,
    /** Called for each entry dropped to make room (not for delete or replace). */
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!(max >= 0)) throw new RangeError('max must be 0 or more');
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The value, refreshed as most recently used. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** The value, without refreshing it. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): this {
    this.#entries.delete(key);
    if (this.max === 0) return this;
    this.#entries.set(key, value);
    this.evictWhile(() => this.#entries.size > this.max);
    return this;
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /** Drops least recently used entries while `over()` holds (e.g. a byte budget). */
  evictWhile(over: () => boolean): void {
    for (const [key, value] of this.#entries) {
      if (!over()) return;
      this.#entries.delete(key);
      this.onEvict?.(key, value);
    }
  }

  /** Entries, least recently used first. */
  entries(): IterableIterator<[K, V]> {
    return this.#entries.entries();
  }

  values(): IterableIterator<V> {
    return this.#entries.values();
  }
}
