/**
 * A new file (a result saved for the caller) inside an allowed directory (relative paths go into the first one). Never
 * over an existing file or through a link, and never outside the allowed directories, even when a
 * directory on the way is swapped for a link meanwhile: the file is created exclusively, then
 * checked through its handle before any byte is written, and removed again if it landed elsewhere.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, readlink, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MindeeInputError } from '../client/errors.js';
import { lexicallyAllowed, type AccessScope } from './allowed-dirs.js';
import { noDirectoriesError, outsideError } from './messages.js';
import { nulByteError, toLocalPath, truncate } from './paths.js';
import { checkEntry } from './read-checks.js';

/** Writes `content` to a new file and returns its real path; a MindeeInputError says why not. */
export async function writeNewFile(input: string, content: string | Uint8Array, scope: AccessScope): Promise<string> {
  const { destination, shown, parent } = await writeTarget(input, scope);
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
async function writeTarget(input: string, scope: AccessScope): Promise<{ destination: string; shown: string; parent: Stats }> {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new MindeeInputError('No path to save to was given.', { hint: 'Pass a file path inside one of the allowed directories, e.g. result.json.' });
  }
  if (input.includes('\0')) throw nulByteError();
  const raw = input.trim();
  const local = toLocalPath(raw, { homeDir: scope.homeDir });
  const allowed = scope.dirs.all();
  if (allowed.length === 0) throw noDirectoriesError(scope);
  const target = local.absolute ? local.path : path.resolve(allowed[0]!.given, local.path);
  const name = path.basename(target);
  if (name === '' || name === '.' || name === '..' || !lexicallyAllowed(target, allowed)) throw outsideError(scope, raw, target);
  const { stats, real } = await checkEntry(path.dirname(target), scope);
  if (!stats.isDirectory()) {
    throw new MindeeInputError(`${truncate(path.dirname(target))} is not a directory.`, { hint: 'Save into an existing directory inside the allowed ones.' });
  }
  return { destination: path.join(real, name), shown: target, parent: stats };
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
