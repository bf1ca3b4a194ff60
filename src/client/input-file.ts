/**
 * A local file made ready for upload, streamed from disk and never read whole. It is opened once,
 * checked through that handle, and uploaded — every attempt of it — from the same handle: what a
 * path names after FileAccess's check never reaches the API.
 */
import { constants, type Stats } from 'node:fs';
import { open, readlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MindeeInputError } from './errors.js';
import { SNIFF_HEAD_BYTES, SNIFF_TAIL_BYTES } from './file-types.js';
import { checkType, cleanFilename, emptyError, refuseEncrypted, subjectOf, tooLargeError, type InputLimits } from './input-checks.js';
import { fileHandleSource } from './pdf-encryption.js';
import type { FileIdentity, PreparedDocument } from './types.js';

export async function prepareFile(filePath: string, filenameOverride: string | undefined, identity: FileIdentity | undefined, lim: InputLimits): Promise<PreparedDocument> {
  const filename = cleanFilename(filenameOverride) ?? path.basename(filePath);
  let handle: FileHandle;
  try {
    // Non-blocking, so that a FIFO or device swapped in for the file cannot hold a thread on
    // open; not following a link, as the checked path had none. Every check below is made on
    // what was opened, and the upload reads from it too.
    handle = await open(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (identity && (code === 'ELOOP' || code === 'EMLINK')) throw changedError(filePath);
    throw openError(filePath, err);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) {
      throw new MindeeInputError(`${filePath} is ${describeSpecialFile(opened)}, not a regular file: only regular files are uploaded.`, {
        hint: 'Pass the path of a document file (a PDF or an image).',
      });
    }
    if (identity && (opened.dev !== identity.dev || opened.ino !== identity.ino || opened.nlink !== identity.links || !(await opensAt(handle, filePath)))) {
      throw changedError(filePath);
    }
    const size = opened.size;
    if (size === 0) throw emptyError(subjectOf(filename));
    if (size > lim.maxFileBytes) throw tooLargeError(filename, size, lim.maxFileBytes);
    const source = fileHandleSource(handle, size);
    const head = await readAt(handle, 0, Math.min(SNIFF_HEAD_BYTES, size));
    const tailLength = Math.min(SNIFF_TAIL_BYTES, size);
    const tail = await readAt(handle, size - tailLength, tailLength);
    const sniffed = checkType(head, tail, filename);
    const pageCount = sniffed.kind === 'pdf' ? await refuseEncrypted(source, subjectOf(filename)) : 1;
    let closed: Promise<void> | undefined;
    return { kind: 'file', source, filename, mimeType: sniffed.mimeType, size, pageCount, close: () => (closed ??= handle.close()) };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Whether the opened file is still reached by the checked path, as the kernel sees it (Linux's
 * /proc/self/fd): a directory swapped for a link between the check and the open shows here. Where
 * there is no /proc, the device and inode comparison stands alone.
 */
async function opensAt(handle: FileHandle, filePath: string): Promise<boolean> {
  let where: string;
  try {
    where = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return true;
  }
  return where === filePath;
}

function changedError(filePath: string): MindeeInputError {
  return new MindeeInputError(`${filePath} changed between its check and its upload (it was replaced, moved or linked meanwhile): refused.`, {
    hint: 'Send it again once nothing else is writing, moving or linking it.',
  });
}

/** What a file that is not a regular one is, in words ("a named pipe (FIFO)"). */
export function describeSpecialFile(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a special file';
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buf.subarray(0, filled);
}

function openError(filePath: string, err: unknown): MindeeInputError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new MindeeInputError(`File not found: ${filePath}.`, { hint: 'Check the path and that the file still exists.', cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new MindeeInputError(`${filePath} is not readable by the user running the MCP server (permission denied).`, {
      hint: 'Change the file permissions, or copy it somewhere that user can read.',
      cause: err,
    });
  }
  if (code === 'EISDIR') {
    return new MindeeInputError(`${filePath} is a directory, not a file.`, { hint: 'Pass the path of one document inside it.', cause: err });
  }
  return new MindeeInputError(`${filePath} cannot be read (${code ?? (err as Error).message}).`, {
    hint: 'Check the file exists and can be read, then try again.',
    cause: err,
  });
}
