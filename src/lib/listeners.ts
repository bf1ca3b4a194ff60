/** Listeners by key (a job id, a task id), each removable; a key is forgotten with its last listener. */
export class KeyedListeners<T> {
  readonly #byKey = new Map<string, Set<(value: T) => void>>();

  /** Adds `listener` for `key`; returns its removal. */
  add(key: string, listener: (value: T) => void): () => void {
    let listeners = this.#byKey.get(key);
    if (!listeners) this.#byKey.set(key, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#byKey.get(key) === listeners) this.#byKey.delete(key);
    };
  }

  /** Calls every listener of `key`; with `once`, they are removed first. */
  emit(key: string, value: T, once = false): void {
    const listeners = this.#byKey.get(key);
    if (!listeners) return;
    if (once) this.#byKey.delete(key);
    for (const listener of [...listeners]) listener(value);
  }

  /** The keys someone listens to now. */
  keys(): string[] {
    return [...this.#byKey.keys()];
  }

  /** Keys someone listens to. */
  get size(): number {
    return this.#byKey.size;
  }
}
