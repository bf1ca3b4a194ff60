/**
 * The directories a server may read and write in: those the person running it configured (CLI
 * arguments, MINDEE_MCP_ALLOWED_DIRS), then those the MCP client shared as roots. Each is kept as
 * given and as its real path, so a check can be made on both. What could not be used is reported
 * in `warnings`, one sentence each.
 */
import { realpathSync, statSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFsError, type Audience } from './messages.js';
import { configuredDirToPath, isWithin } from './paths.js';

interface AllowedDir {
  /** Absolute, as configured (before following links): agents use this spelling. */
  given: string;
  /** realpath of `given`. */
  real: string;
}

export class AllowedDirs {
  readonly #configured: AllowedDir[] = [];
  readonly #configWarnings: string[] = [];
  /** Configured directories that could not be used, for the fail-closed message. */
  readonly missingConfigured: string[] = [];
  #roots: AllowedDir[] = [];
  #rootWarnings: string[] = [];
  #rootsGeneration = 0;

  /** Checks the configured directories once, at start-up (`~` expands to `homeDir`). */
  constructor(configured: string[], homeDir: string) {
    for (const dir of configured) {
      if (dir.trim() === '') continue;
      if (dir.includes('\0')) {
        this.#configWarnings.push(`Allowed directory ${JSON.stringify(dir)} contains a NUL byte: ignored.`);
        continue;
      }
      let given: string;
      try {
        given = configuredDirToPath(dir, homeDir);
      } catch (err) {
        this.#configWarnings.push(`Allowed directory "${dir}" is not a usable path (${(err as Error).message}): ignored.`);
        this.missingConfigured.push(dir);
        continue;
      }
      try {
        const real = realpathSync.native(given);
        if (!statSync(real).isDirectory()) {
          this.#configWarnings.push(`Allowed directory ${given} is not a directory: ignored.`);
          this.missingConfigured.push(given);
          continue;
        }
        this.#configured.push({ given, real });
      } catch (err) {
        this.#configWarnings.push(`Allowed directory ${given} ${describeFsError(err)}: ignored.`);
        this.missingConfigured.push(given);
      }
    }
  }

  /** Problems with the configured directories and with the roots of the last `setRoots`. */
  get warnings(): string[] {
    return [...this.#configWarnings, ...this.#rootWarnings];
  }

  /** Replaces the roots (file:// URIs of existing directories; the others go to `warnings`). */
  async setRoots(roots: Array<{ uri: string; name?: string }>): Promise<void> {
    const generation = ++this.#rootsGeneration;
    const next: AllowedDir[] = [];
    const warnings: string[] = [];
    for (const root of roots) {
      const label = root.name ? `MCP root "${root.name}" (${root.uri})` : `MCP root ${root.uri}`;
      if (!/^file:/i.test(root.uri)) {
        warnings.push(`${label} is not a file:// URI: ignored.`);
        continue;
      }
      let given: string;
      try {
        given = path.resolve(fileURLToPath(root.uri));
      } catch (err) {
        warnings.push(`${label} is not a usable file:// URI (${(err as Error).message}): ignored.`);
        continue;
      }
      try {
        const real = await realpath(given);
        if (!(await stat(real)).isDirectory()) {
          warnings.push(`${label} is not a directory: ignored.`);
          continue;
        }
        next.push({ given, real });
      } catch (err) {
        warnings.push(`${label} ${describeFsError(err)}: ignored.`);
      }
    }
    // A slower, older call must not overwrite the roots of a newer one.
    if (generation !== this.#rootsGeneration) return;
    this.#roots = next;
    this.#rootWarnings = warnings;
  }

  /** Stops using the roots until the next `setRoots`; one already under way does not bring them back. */
  suspendRoots(): void {
    this.#rootsGeneration++;
    this.#roots = [];
  }

  /** Configured directories then roots. */
  all(): AllowedDir[] {
    return [...this.#configured, ...this.#roots];
  }

  /** Configured directories then roots, as real paths, deduplicated. */
  directories(): string[] {
    return [...new Set(this.all().map((d) => d.real))];
  }
}

/** Whether a path lies inside one of `allowed`, as spelled (given or real): before any link is followed. */
export function lexicallyAllowed(candidate: string, allowed: AllowedDir[]): boolean {
  return allowed.some((d) => isWithin(d.given, candidate) || isWithin(d.real, candidate));
}

/** What every check of a path reads: the directories, where `~` points, and who is asking. */
export interface AccessScope extends Audience {
  dirs: AllowedDirs;
  homeDir: string;
  /** Read files that have several hard links (another name of the same file may lie outside). */
  allowHardLinks: boolean;
}
