/**
 * The checks a path an agent gave goes through before the file is read: inside an allowed
 * directory as given and for real (neither `..` nor a symbolic link leads out), a regular file,
 * one link only unless allowed. What passes is a CheckedFile: its real path and the identity the
 * client's open must find again.
 */
import type { Stats } from 'node:fs';
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { MindeeInputError } from '../client/errors.js';
import { describeSpecialFile } from '../client/input-file.js';
import type { FileIdentity } from '../client/types.js';
import { lexicallyAllowed, type AccessScope } from './allowed-dirs.js';
import { ALLOW_HARD_LINKS_SETTING, describeFsError, FolderTooLargeError, HOW_TO_ALLOW, listDirs, noDirectoriesError, outsideError } from './messages.js';
import { hasDotDotSegment, isSandboxLikePath, isWithin, nulByteError, toLocalPath, truncate } from './paths.js';

/** A regular file inside an allowed directory, as checked. */
export interface CheckedFile {
  /** The real path (symbolic links resolved): open this one. */
  path: string;
  /** The absolute path as the agent gave it, for messages. */
  displayPath: string;
  size: number;
  /** The file that was checked: the one opened later must be this one. */
  identity: FileIdentity;
}

/** An entry (file or directory) inside the allowed ones: its stats (not following links), the path as chosen, its real path. */
interface CheckedEntry {
  stats: Stats;
  chosen: string;
  real: string;
}

/** A path or file:// URI → a regular file inside an allowed directory, or a MindeeInputError saying why not and what to do. */
export async function checkFile(input: string, scope: AccessScope): Promise<CheckedFile> {
  const { stats, chosen, real } = await checkEntry(input, scope);
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
  if (stats.nlink > 1 && !scope.allowHardLinks) {
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
 * A file, or the documents directly inside a directory (not its subdirectories, nor hidden files),
 * each checked as `checkFile` checks one; an entry that fails comes back with its error. Past
 * `max` documents, FolderTooLargeError before any file is checked.
 */
export async function checkFileOrFolder(input: string, max: number, scope: AccessScope): Promise<Array<CheckedFile | { displayPath: string; error: MindeeInputError }>> {
  const { stats, chosen } = await checkEntry(input, scope);
  if (!stats.isDirectory()) return [await checkFile(input, scope)];
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
        return await checkFile(displayPath, scope);
      } catch (error) {
        if (error instanceof MindeeInputError) return { displayPath, error };
        throw error;
      }
    }),
  );
}

/** The checks common to files and directories: inside the allowed ones, as given and for real. */
export async function checkEntry(input: string, scope: AccessScope): Promise<CheckedEntry> {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new MindeeInputError('No file path was given (the path is empty).', {
      hint: 'Pass the absolute path of a file in one of the allowed directories, or a public https URL of the document.',
    });
  }
  if (input.includes('\0')) throw nulByteError();
  // Models often add stray spaces or a newline around a path they copy.
  const raw = input.trim();
  const local = toLocalPath(raw, { homeDir: scope.homeDir });
  const allowed = scope.dirs.all();

  if (local.absolute && isSandboxLikePath(local.path) && !(await exists(local.path))) {
    const where = allowed.length ? `a folder the server can read (${listDirs(scope)})` : `a folder the server can read (none is allowed yet: ${HOW_TO_ALLOW})`;
    throw new MindeeInputError(
      `${truncate(raw)} is a path inside the AI client's own sandbox: the file lives on the client's side, not on the machine where the Mindee MCP server runs, so the server cannot open it.`,
      { code: 'file_not_allowed', hint: `Save the file into ${where} and pass that path.` },
    );
  }
  if (allowed.length === 0) throw noDirectoriesError(scope);

  const candidates = local.absolute ? [local.path] : allowed.map((d) => path.resolve(d.real, local.path));
  let chosen: string | undefined;
  let anyInside = false;
  for (const candidate of candidates) {
    if (!lexicallyAllowed(candidate, allowed)) continue;
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
        const resolved = scope.remote ? '' : ` (it resolves to ${shown})`;
        throw new MindeeInputError(`${truncate(raw)} uses ".." to leave the allowed directories${resolved}; this server may read only files inside ${listDirs(scope)}.`, {
          hint: `Pass a path inside one of those directories; to allow another directory, ${HOW_TO_ALLOW}.`,
        });
      }
      throw outsideError(scope, raw, shown);
    }
    throw new MindeeInputError(
      local.absolute
        ? `File not found: ${truncate(local.path)}. Allowed directories: ${listDirs(scope)}.`
        : `File not found: no file "${truncate(local.path)}" in any allowed directory (${listDirs(scope)}).`,
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
    const what = scope.remote
      ? `${truncate(chosen)} leads through a symbolic link to a file`
      : link === chosen
        ? `${truncate(chosen)} is a symbolic link pointing to ${real}`
        : link
          ? `${truncate(chosen)} is reached through the symbolic link ${link}, and really is ${real}`
          : `${truncate(chosen)} really is ${real}`;
    throw new MindeeInputError(`${what}, which is outside the allowed directories (${listDirs(scope)}): links may not lead out of them.`, {
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
