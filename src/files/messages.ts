/**
 * What the file checks say when they refuse: how to allow a directory, which directories are
 * allowed (never to a remote caller: the server's log has them), why a path is outside. Shared by
 * the read checks and the saving.
 */
import path from 'node:path';
import { MindeeInputError } from '../client/errors.js';
import { truncate } from './paths.js';

/** The environment variable that lists allowed directories (path-delimiter separated). */
const ALLOWED_DIRS_ENV = 'MINDEE_MCP_ALLOWED_DIRS';

/** The one-sentence "how to allow a directory", shared by every refusal that needs it. */
export const HOW_TO_ALLOW = `start the server with the directory as an argument (\`mindee-mcp /path/to/docs\`) or add it to ${ALLOWED_DIRS_ENV}`;

/** The setting that lets files with several hard links be read. */
export const ALLOW_HARD_LINKS_SETTING = '--allow-hard-links (MINDEE_MCP_ALLOW_HARD_LINKS=1)';

const MAX_LISTED_DIRS = 10;

/** A folder holds more documents than the call has room for: it was not read further. */
export class FolderTooLargeError extends MindeeInputError {
  constructor(
    readonly folder: string,
    readonly max: number,
  ) {
    super(`${truncate(folder)} holds more than ${max} documents.`, { hint: 'Pass a folder with fewer documents, or the files themselves in several calls.' });
  }
}

/** Who reads a refusal, and what it may tell them of the allowed directories. */
export interface Audience {
  /** A remote (HTTP) caller: no message names a directory of the server, or where a path of theirs leads on it. */
  remote: boolean;
  dirs: { directories(): string[]; readonly missingConfigured: readonly string[] };
}

/** The allowed directories, as a message names them (at most ten). */
export function listDirs(to: Audience): string {
  if (to.remote) return 'those the server\'s operator shared';
  const dirs = to.dirs.directories();
  if (dirs.length <= MAX_LISTED_DIRS) return dirs.join(', ');
  return `${dirs.slice(0, MAX_LISTED_DIRS).join(', ')} and ${dirs.length - MAX_LISTED_DIRS} more`;
}

/** `raw` (resolved to `resolved`) is outside every allowed directory. */
export function outsideError(to: Audience, raw: string, resolved: string): MindeeInputError {
  if (to.remote) {
    return new MindeeInputError(`${truncate(raw)} is outside the directories this server may read.`, {
      code: 'file_not_allowed',
      hint: 'Use a path in a directory the server\'s operator shared with you, or send the document as an upload or a url.',
    });
  }
  const shown = raw === resolved ? resolved : `${truncate(raw)} (${resolved})`;
  return new MindeeInputError(`${shown} is outside the directories this server may read (${listDirs(to)}).`, {
    code: 'file_not_allowed',
    hint: `Copy the file into one of them, or ${HOW_TO_ALLOW}.`,
  });
}

/** No directory is allowed at all: local files are off. */
export function noDirectoriesError(to: Audience): MindeeInputError {
  const missing = to.dirs.missingConfigured.length && !to.remote
    ? ` (configured but unusable: ${to.dirs.missingConfigured.join(', ')} — see the server's log)`
    : '';
  return new MindeeInputError(`Reading local files is turned off: no allowed directory is set${missing}, and the MCP client shared no roots.`, {
    code: 'file_not_allowed',
    hint: `To upload local files, ${HOW_TO_ALLOW} (several directories separated by "${path.delimiter}").`,
  });
}

/** A file system error in words, after the path it concerns ("does not exist"). */
export function describeFsError(err: unknown): string {
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
