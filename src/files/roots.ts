/**
 * Keeps FileAccess in step with the MCP client's roots. A change announced by the client may
 * revoke a root, so the roots stop counting the moment it is announced, until the new list is
 * in (configured directories stay). Announcements are coalesced: one list request in flight at a
 * time, and at most one more after it, however many changes arrive meanwhile.
 */
import type { FileAccess } from './file-access.js';

export type Root = { uri: string; name?: string };

export class RootsFollower {
  readonly #files: FileAccess;
  readonly #fetchRoots: () => Promise<Root[]>;
  readonly #report: (error: unknown) => void;
  #running: Promise<void> | null = null;
  #pending = false;
  #listedOnce = false;

  /**
   * `fetchRoots` asks the client for its list; `report` hears each outcome: null once a list is
   * in force, or the error that left the roots suspended.
   */
  constructor(files: FileAccess, fetchRoots: () => Promise<Root[]>, report: (error: unknown) => void) {
    this.#files = files;
    this.#fetchRoots = fetchRoots;
    this.#report = report;
  }

  /**
   * Resolves once the client's first list has been read (or could not be): a call that names a file
   * right after connecting waits for the roots it may be under. Later changes never wait: the roots
   * stop counting the moment a change is announced.
   */
  async firstList(): Promise<void> {
    if (!this.#listedOnce) await this.#running;
  }

  /** The client's roots changed (or are first known): suspend them and read the new list. */
  changed(): void {
    this.#files.suspendRoots();
    if (this.#running) {
      this.#pending = true;
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = null;
      this.#listedOnce = true;
    });
  }

  async #run(): Promise<void> {
    do {
      this.#pending = false;
      try {
        const roots = await this.#fetchRoots();
        // A change announced while this list was on its way makes it stale: ask again.
        if (this.#pending) continue;
        await this.#files.setRoots(roots);
        if (!this.#pending) this.#report(null);
      } catch (error) {
        if (!this.#pending) this.#report(error);
      }
    } while (this.#pending);
  }
}
