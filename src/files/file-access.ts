/**
 * Which local files an agent may have uploaded or written: only regular files inside the
 * directories the person running the server allowed (CLI arguments, MINDEE_MCP_ALLOWED_DIRS) or the
 * MCP client shared as roots. Every check is made twice — on the path as given and on its real path
 * — so neither `..` nor a symbolic link can lead outside. Knows nothing of MCP or HTTP.
 *
 * The face the tools use; the work is done by `allowed-dirs.ts` (the directories), `read-checks.ts`
 * (a file or folder to read), `save.ts` (new files, for results saved) and `messages.ts` (the refusals).
 */
import os from 'node:os';
import { AllowedDirs, type AccessScope } from './allowed-dirs.js';
import type { MindeeInputError } from '../client/errors.js';
import { checkFile, checkFileOrFolder, type CheckedFile } from './read-checks.js';
import { writeNewFile } from './save.js';

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

export class FileAccess {
  readonly #scope: AccessScope;

  constructor(options: FileAccessOptions) {
    const homeDir = options.homeDir ?? os.homedir();
    this.#scope = {
      dirs: new AllowedDirs(options.allowedDirs, homeDir),
      homeDir,
      allowHardLinks: options.allowHardLinks ?? false,
      remote: options.remote ?? false,
    };
  }

  /**
   * Problems with the configured directories and with the roots of the last `setRoots`, one
   * sentence each, for the server to log to stderr.
   */
  get warnings(): string[] {
    return this.#scope.dirs.warnings;
  }

  /**
   * Directories from the client's MCP roots (file:// URIs); replaces the previous roots.
   * Configured directories stay. Roots that are not file:// URIs of existing directories are
   * left out and reported in `warnings`.
   */
  setRoots(roots: Array<{ uri: string; name?: string }>): Promise<void> {
    return this.#scope.dirs.setRoots(roots);
  }

  /**
   * Stops using the roots at once (the client announced a change: some may be revoked) until the
   * next `setRoots`; configured directories stay. A `setRoots` already under way does not bring
   * the old list back.
   */
  suspendRoots(): void {
    this.#scope.dirs.suspendRoots();
  }

  /** Configured directories then roots, as real paths, deduplicated. */
  directories(): string[] {
    return this.#scope.dirs.directories();
  }

  /**
   * Resolves a path or file:// URI an agent gave to a regular file inside an allowed directory.
   * Relative paths are looked up in each allowed directory in order, never in the process's
   * current directory. Throws MindeeInputError, saying why and what to do, otherwise.
   */
  resolve(input: string): Promise<CheckedFile> {
    return checkFile(input, this.#scope);
  }

  /**
   * A file, or every document directly inside a directory (not its subdirectories, nor hidden
   * files), each checked as `resolve` checks one file. Entries that cannot be read come back
   * with their error, so one bad file does not hide the others. A directory is read only as far
   * as `max` documents: one more, and it throws FolderTooLargeError before any file is checked.
   */
  expand(input: string, max = Infinity): Promise<Array<CheckedFile | { displayPath: string; error: MindeeInputError }>> {
    return checkFileOrFolder(input, max, this.#scope);
  }

  /**
   * Writes `content` to a new file inside an allowed directory (relative paths go into the first
   * one) and returns its real path: never over an existing file, through a link or outside the
   * allowed directories (`save.ts`).
   */
  writeNewFile(input: string, content: string | Uint8Array): Promise<string> {
    return writeNewFile(input, content, this.#scope);
  }
}
