/**
 * Which local files an agent may have uploaded: only regular files inside the directories the
 * person running the server allowed (CLI arguments, MINDEE_MCP_ALLOWED_DIRS) or the MCP client
 * shared as roots. Every check is made twice — on the path as given and on its real path — so
 * neither `..` nor a symbolic link can lead outside. Knows nothing of MCP or HTTP.
 */
import { constants, realpathSync, statSync, type Stats } from 'node:fs';
import { lstat, open, opendir, readlink, realpath, stat, unlink, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MindeeInputError } from '../client/errors.js';
import { describeSpecialFile, type FileIdentity } from '../client/inputs.js';
import { configuredDirToPath, hasDotDotSegment, isSandboxLikePath, isWithin, nulByteError, toLocalPath, truncate } from './paths.js';

/** The environment variable that lists allowed directories (path-delimiter separated). */
const ALLOWED_DIRS_ENV = 'MINDEE_MCP_ALLOWED_DIRS';

/** The one-sentence "how to allow a directory", shared by every refusal that needs it. */
const HOW_TO_ALLOW = `start the server with the directory as an argument (\`mindee-mcp /path/to/docs\`) or add it to ${ALLOWED_DIRS_ENV}`;

/** The setting that lets files with several hard links be read. */
const ALLOW_HARD_LINKS_SETTING = '--allow-hard-links (MINDEE_MCP_ALLOW_HARD_LINKS=1)';

/** A folder holds more documents than the call has room for: it was not read further. */
export class FolderTooLargeError extends MindeeInputError {
  constructor(
    readonly folder: string,
    readonly max: number,
  ) {
    super(`${truncate(folder)} holds more than ${max} documents.`, { hint: 'Pass a folder with fewer documents, or the files themselves in several calls.' });
  }
}

export interface FileAccessOptions {
  allowedDirs: string[];
  /** Where `~` points; default os.homedir(). */
  homeDir?: string;
  /**
   * Read files that have several hard links. Off by default: another name of the same file may
   * lie outside the allowed directories, and nothing tells which name is the original.
   */
  allowHardLinks?: boolean;
  /**
   * The callers are remote (HTTP): no message names a directory of the server, or where a path
   * of theirs leads on it (the log does); they echo only the path the caller gave.
   */
  remote?: boolean;
}

export interface ResolvedFile {
  /** The real path (symbolic links resolved): open this one. */
  path: string;
  /** The absolute path as the agent gave it, for messages. */
  displayPath: string;
  size: number;
  /** The file that was checked: the one opened later must be this one. */
  identity: FileIdentity;
}

interface AllowedDir {
  /** Absolute, as configured (before following links): agents use this spelling. */
  given: string;
  /** realpath of `given`. */
  real: string;
}

const MAX_LISTED_DIRS = 10;

export class FileAccess {
  readonly #homeDir: string;
  readonly #allowHardLinks: boolean;
  readonly #remote: boolean;
  readonly #configured: AllowedDir[] = [];
  readonly #configWarnings: string[] = [];
  /** Configured directories that could not be used, for the fail-closed message. */
  readonly #missingConfigured: string[] = [];
  #roots: AllowedDir[] = [];
  #rootWarnings: string[] = [];
  #rootsGeneration = 0;

  constructor(options: FileAccessOptions) {
    this.#homeDir = options.homeDir ?? os.homedir();
    this.#allowHardLinks = options.allowHardLinks ?? false;
    this.#remote = options.remote ?? false;
    for (const dir of options.allowedDirs) {
      if (dir.trim() === '') continue;
      if (dir.includes('\0')) {
        this.#configWarnings.push(`Allowed directory ${JSON.stringify(dir)} contains a NUL byte: ignored.`);
        continue;
      }
      let given: string;
      try {
        given = configuredDirToPath(dir, this.#homeDir);
      } catch (err) {
        this.#configWarnings.push(`Allowed directory "${dir}" is not a usable path (${(err as Error).message}): ignored.`);
        this.#missingConfigured.push(dir);
        continue;
      }
      try {
        const real = realpathSync.native(given);
        if (!statSync(real).isDirectory()) {
          this.#configWarnings.push(`Allowed directory ${given} is not a directory: ignored.`);
          this.#missingConfigured.push(given);
          continue;
        }
        this.#configured.push({ given, real });
      } catch (err) {
        this.#configWarnings.push(`Allowed directory ${given} ${describeFsError(err)}: ignored.`);
        this.#missingConfigured.push(given);
      }
    }
  }

  /**
   * Problems with the configured directories and with the roots of the last `setRoots`, one
   * sentence each, for the server to log to stderr.
   */
  get warnings(): string[] {
    return [...this.#configWarnings, ...this.#rootWarnings];
  }

  /**
   * Directories from the client's MCP roots (file:// URIs); replaces the previous roots.
   * Configured directories stay. Roots that are not file:// URIs of existing directories are
   * left out and reported in `warnings`.
   */
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

  /**
   * Stops using the roots at once (the client announced a change: some may be revoked) until the
   * next `setRoots`; configured directories stay. A `setRoots` already under way does not bring
   * the old list back.
   */
  suspendRoots(): void {
    this.#rootsGeneration++;
    this.#roots = [];
  }

  /** Configured directories then roots, as real paths, deduplicated. */
  directories(): string[] {
    return [...new Set(this.#allowed().map((d) => d.real))];
  }

  /**
   * Resolves a path or file:// URI an agent gave to a regular file inside an allowed directory.
   * Relative paths are looked up in each allowed directory in order, never in the process's
   * current directory. Throws MindeeInputError, saying why and what to do, otherwise.
   */
  async resolve(input: string): Promise<ResolvedFile> {
    const { stats, chosen, real } = await this.#resolveEntry(input);
    if (stats.isDirectory()) {
      throw new MindeeInputError(`${truncate(chosen)} is a directory, not a file.`, {
        hint: 'Pass the path of one document inside it (a PDF or an image).',
      });
    }
    if (!stats.isFile()) {
      throw new MindeeInputError(`${truncate(chosen)} is ${describeSpecialFile(stats)}, not a regular file: only regular files are uploaded.`, {
        hint: 'Pass the path of a regular document file (a PDF or an image).',
      });
    }
    if (stats.nlink > 1 && !this.#allowHardLinks) {
      throw new MindeeInputError(
        `${truncate(chosen)} has ${stats.nlink} hard links: another name of the same file may lie outside the allowed directories, so files with several links are not read.`,
        {
          hint: `Copy the file (a copy has a single link) and send the copy; or, if every link to it is trusted, start the server with ${ALLOW_HARD_LINKS_SETTING}.`,
        },
      );
    }
    return { path: real, displayPath: chosen, size: stats.size, identity: { dev: stats.dev, ino: stats.ino, links: stats.nlink } };
  }

  /**
   * A file, or every document directly inside a directory (not its subdirectories, nor hidden
   * files), each checked as `resolve` checks one file. Entries that cannot be read come back
   * with their error, so one bad file does not hide the others. A directory is read only as far
   * as `max` documents: one more, and it throws FolderTooLargeError before any file is checked.
   */
  async expand(input: string, max = Infinity): Promise<Array<ResolvedFile | { displayPath: string; error: MindeeInputError }>> {
    const { stats, chosen } = await this.#resolveEntry(input);
    if (!stats.isDirectory()) return [await this.resolve(input)];
    const names: string[] = [];
    // Leaving the loop early (the throw) closes the directory.
    for await (const d of await opendir(chosen)) {
      if (d.name.startsWith('.') || d.isDirectory()) continue;
      names.push(d.name);
      if (names.length > max) throw new FolderTooLargeError(chosen, max);
    }
    names.sort((a, b) => a.localeCompare(b));
    return Promise.all(
      names.map(async (name) => {
        const displayPath = path.join(chosen, name);
        try {
          return await this.resolve(displayPath);
        } catch (error) {
          if (error instanceof MindeeInputError) return { displayPath, error };
          throw error;
        }
      }),
    );
  }

  /**
   * Writes `content` to a new file inside an allowed directory (relative paths go into the first
   * one) and returns its real path. Never writes over an existing file or through a link, and
   * never outside the allowed directories, even when a directory on the way is swapped for a link
   * meanwhile: the file is created exclusively, then checked through its handle before any byte
   * is written, and removed again if it landed elsewhere.
   */
  async writeNewFile(input: string, content: string | Uint8Array): Promise<string> {
    const { destination, shown, parent } = await this.#writeTarget(input);
    let handle: FileHandle;
    try {
      handle = await open(destination, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(shown);
      throw writeError(shown, err);
    }
    try {
      const landed = await landedAt(handle);
      const parentNow = await lstat(path.dirname(destination)).catch(() => null);
      const moved = parentNow === null || parentNow.dev !== parent.dev || parentNow.ino !== parent.ino;
      if (moved || (landed !== null && landed !== destination)) {
        await removeIfOurs(handle, landed ?? destination);
        throw new MindeeInputError(`${truncate(shown)}: a directory on the way changed while the file was being created, so nothing was written.`, {
          hint: 'Save it again once nothing else is moving or linking directories there.',
        });
      }
      await handle.writeFile(content);
    } catch (err) {
      if (err instanceof MindeeInputError) throw err;
      throw writeError(shown, err);
    } finally {
      await handle.close();
    }
    return destination;
  }

  /** Where a new file goes: its real path, how to name it in messages, and its directory as checked. */
  async #writeTarget(input: string): Promise<{ destination: string; shown: string; parent: Stats }> {
    if (typeof input !== 'string' || input.trim() === '') {
      throw new MindeeInputError('No path to save to was given.', { hint: 'Pass a file path inside one of the allowed directories, e.g. result.json.' });
    }
    if (input.includes('\0')) throw nulByteError();
    const raw = input.trim();
    const local = toLocalPath(raw, { homeDir: this.#homeDir });
    const allowed = this.#allowed();
    if (allowed.length === 0) throw this.#noDirectoriesError();
    const target = local.absolute ? local.path : path.resolve(allowed[0]!.given, local.path);
    const name = path.basename(target);
    if (name === '' || name === '.' || name === '..' || !this.#lexicallyAllowed(target, allowed)) throw this.#outsideError(raw, target);
    const { stats, real } = await this.#resolveEntry(path.dirname(target));
    if (!stats.isDirectory()) {
      throw new MindeeInputError(`${truncate(path.dirname(target))} is not a directory.`, { hint: 'Save into an existing directory inside the allowed ones.' });
    }
    return { destination: path.join(real, name), shown: target, parent: stats };
  }

  /** The checks common to files and directories: inside the allowed ones, as given and for real. */
  async #resolveEntry(input: string): Promise<{ stats: Stats; chosen: string; real: string }> {
    if (typeof input !== 'string' || input.trim() === '') {
      throw new MindeeInputError('No file path was given (the path is empty).', {
        hint: 'Pass the absolute path of a file in one of the allowed directories, or a public https URL of the document.',
      });
    }
    if (input.includes('\0')) throw nulByteError();
    // Models often add stray spaces or a newline around a path they copy.
    const raw = input.trim();
    const local = toLocalPath(raw, { homeDir: this.#homeDir });
    const allowed = this.#allowed();

    if (local.absolute && isSandboxLikePath(local.path) && !(await exists(local.path))) {
      const where = allowed.length ? `a folder the server can read (${this.#listDirs()})` : `a folder the server can read (none is allowed yet: ${HOW_TO_ALLOW})`;
      throw new MindeeInputError(
        `${truncate(raw)} is a path inside the AI client's own sandbox: the file lives on the client's side, not on the machine where the Mindee MCP server runs, so the server cannot open it.`,
        { code: 'file_not_allowed', hint: `Save the file into ${where} and pass that path.` },
      );
    }
    if (allowed.length === 0) throw this.#noDirectoriesError();

    const candidates = local.absolute ? [local.path] : allowed.map((d) => path.resolve(d.real, local.path));
    let chosen: string | undefined;
    let anyInside = false;
    for (const candidate of candidates) {
      if (!this.#lexicallyAllowed(candidate, allowed)) continue;
      anyInside = true;
      if (await lexists(candidate)) {
        chosen = candidate;
        break;
      }
    }

    if (chosen === undefined) {
      if (!anyInside) {
        const shown = candidates[0] ?? local.path;
        if (hasDotDotSegment(raw)) {
          const resolved = this.#remote ? '' : ` (it resolves to ${shown})`;
          throw new MindeeInputError(`${truncate(raw)} uses ".." to leave the allowed directories${resolved}; this server may read only files inside ${this.#listDirs()}.`, {
            hint: `Pass a path inside one of those directories; to allow another directory, ${HOW_TO_ALLOW}.`,
          });
        }
        throw this.#outsideError(raw, shown);
      }
      throw new MindeeInputError(
        local.absolute
          ? `File not found: ${truncate(local.path)}. Allowed directories: ${this.#listDirs()}.`
          : `File not found: no file "${truncate(local.path)}" in any allowed directory (${this.#listDirs()}).`,
        {
          hint: 'Check the spelling and pass the absolute path of an existing file (relative paths are looked up in each allowed directory in turn).',
        },
      );
    }

    let real: string;
    try {
      real = await realpath(chosen);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new MindeeInputError(`${truncate(chosen)} is a symbolic link whose target does not exist.`, {
          hint: 'Pass the path of the real file instead of a broken link.',
          cause: err,
        });
      }
      throw new MindeeInputError(`${truncate(chosen)} ${describeFsError(err)}.`, {
        hint: 'Check the file exists and the user running the MCP server may read it.',
        cause: err,
      });
    }

    if (!allowed.some((d) => isWithin(d.real, real))) {
      const link = await findSymlink(chosen);
      const what = this.#remote
        ? `${truncate(chosen)} leads through a symbolic link to a file`
        : link === chosen
          ? `${truncate(chosen)} is a symbolic link pointing to ${real}`
          : link
            ? `${truncate(chosen)} is reached through the symbolic link ${link}, and really is ${real}`
            : `${truncate(chosen)} really is ${real}`;
      throw new MindeeInputError(`${what}, which is outside the allowed directories (${this.#listDirs()}): links may not lead out of them.`, {
        hint: `Pass the real file's path if it is in an allowed directory; otherwise copy the file into one, or ${HOW_TO_ALLOW}.`,
      });
    }

    let stats: Stats;
    try {
      // Not following links: the real path has none, unless one was swapped in since.
      stats = await lstat(real);
    } catch (err) {
      throw new MindeeInputError(`${truncate(chosen)} ${describeFsError(err)}.`, {
        hint: 'Check the file exists and the user running the MCP server may read it.',
        cause: err,
      });
    }
    if (stats.isSymbolicLink()) {
      throw new MindeeInputError(`${truncate(chosen)} changed while it was being checked (it became a symbolic link).`, {
        hint: 'Send it again once nothing else is moving or linking it.',
      });
    }
    return { stats, chosen, real };
  }

  #allowed(): AllowedDir[] {
    return [...this.#configured, ...this.#roots];
  }

  #lexicallyAllowed(candidate: string, allowed: AllowedDir[]): boolean {
    return allowed.some((d) => isWithin(d.given, candidate) || isWithin(d.real, candidate));
  }

  #listDirs(): string {
    if (this.#remote) return 'those the server\'s operator shared';
    const dirs = this.directories();
    if (dirs.length <= MAX_LISTED_DIRS) return dirs.join(', ');
    return `${dirs.slice(0, MAX_LISTED_DIRS).join(', ')} and ${dirs.length - MAX_LISTED_DIRS} more`;
  }

  #outsideError(raw: string, resolved: string): MindeeInputError {
    if (this.#remote) {
      return new MindeeInputError(`${truncate(raw)} is outside the directories this server may read.`, {
        code: 'file_not_allowed',
        hint: 'Use a path in a directory the server\'s operator shared with you, or send the document as an upload or a url.',
      });
    }
    const shown = raw === resolved ? resolved : `${truncate(raw)} (${resolved})`;
    return new MindeeInputError(`${shown} is outside the directories this server may read (${this.#listDirs()}).`, {
      code: 'file_not_allowed',
      hint: `Copy the file into one of them, or ${HOW_TO_ALLOW}.`,
    });
  }

  #noDirectoriesError(): MindeeInputError {
    const missing = this.#missingConfigured.length && !this.#remote
      ? ` (configured but unusable: ${this.#missingConfigured.join(', ')} — see the server's log)`
      : '';
    return new MindeeInputError(`Reading local files is turned off: no allowed directory is set${missing}, and the MCP client shared no roots.`, {
      code: 'file_not_allowed',
      hint: `To upload local files, ${HOW_TO_ALLOW} (several directories separated by "${path.delimiter}").`,
    });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function lexists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The path itself if it is a link, else its nearest ancestor that is one, else null. */
async function findSymlink(p: string): Promise<string | null> {
  let current = p;
  for (;;) {
    try {
      if ((await lstat(current)).isSymbolicLink()) return current;
    } catch {
      // A component we cannot lstat is not the link we are looking for.
    }
    const parent = path.dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

/**
 * Where an opened file is, as the kernel sees it (Linux's /proc/self/fd), or null where that
 * cannot be told.
 */
async function landedAt(handle: FileHandle): Promise<string | null> {
  try {
    return await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return null;
  }
}

/** Removes the file just created at `where`, only if that name still is the file we opened. */
async function removeIfOurs(handle: FileHandle, where: string): Promise<void> {
  try {
    const [ours, there] = await Promise.all([handle.stat(), lstat(where)]);
    if (ours.dev === there.dev && ours.ino === there.ino && there.size === 0) await unlink(where);
  } catch {
    // Gone already, or not ours any more: leave it.
  }
}

function existsError(shown: string): MindeeInputError {
  return new MindeeInputError(`${truncate(shown)} already exists; it was not overwritten.`, { hint: 'Choose a new file name.' });
}

function writeError(shown: string, err: unknown): MindeeInputError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why = code === 'ELOOP' ? 'it is a symbolic link' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? String(err));
  return new MindeeInputError(`Could not write ${truncate(shown)} (${why}).`, {
    hint: 'Choose a new file name in a directory the server may write to.',
    cause: err,
  });
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ENOTDIR':
      return 'does not exist (a part of the path is not a directory)';
    case 'EACCES':
    case 'EPERM':
      return 'is not readable by the user running the MCP server (permission denied)';
    case 'ELOOP':
      return 'is a loop of symbolic links';
    case 'ENAMETOOLONG':
      return 'has a name that is too long';
    default:
      return `cannot be read (${code ?? (err as Error | undefined)?.message ?? 'unknown error'})`;
  }
}
