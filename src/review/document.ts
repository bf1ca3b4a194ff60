/**
 * The document a review shows: which one a result came from (recorded at enqueue beside the
 * job's owner), whether this server may read it again, and its bytes for the
 * `mindee://documents/{inference_id}` resource — to the result's owner only (the result is read
 * first: another caller's id is unknown). A local file is read again through FileAccess (still
 * in an allowed directory, still the file that was sent); an upload is read from the upload
 * directory while the server keeps it for its owner (as long as its result, within a bound per
 * caller: `http/uploads.ts`); a URL document was fetched by Mindee,
 * never by this server, and has no image here. No rendering on the server: the view draws PDF
 * pages itself (pdf.js), so nothing native is bundled.
 */
import { readFile, stat } from 'node:fs/promises';
import type { MindeeClient } from '../client/mindee-client.js';
import type { DocumentOrigin, DocumentSource, PreparedDocument } from '../client/types.js';
import type { FileAccess } from '../files/file-access.js';
import { formatBytes } from '../lib/text.js';

/** What reading a result's document needs of the tools' dependencies. */
export interface DocumentDeps {
  client: MindeeClient;
  files: FileAccess;
  /** Set for a remote caller: the server's files are readable only where allowed directories were configured. */
  remote?: { localFiles: boolean; keptUpload?(uploadId: string): Promise<{ path: string } | { reason: string }> };
}

export const DOCUMENT_URI_PREFIX = 'mindee://documents/';

/** Largest document the resource sends (as base64, through the host into the view). */
const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

export type DocumentRef = { uri: string; mime_type: string; pages: number | null } | { uri: null; reason: string };

const documentUri = (inferenceId: string) => `${DOCUMENT_URI_PREFIX}${encodeURIComponent(inferenceId)}`;

/** What to record at enqueue for a document about to be sent. */
export function originOf(source: DocumentSource, document: PreparedDocument): DocumentOrigin {
  if ('url' in source) return { kind: 'url', url: source.url };
  if ('base64' in source) return { kind: 'none', reason: 'The document was sent as file_base64: this server keeps no copy of it.' };
  if (document.kind !== 'file') return { kind: 'url', url: document.url };
  if (source.upload !== undefined) {
    return { kind: 'upload', upload: source.upload, filename: document.filename, mimeType: document.mimeType, size: document.size, pages: document.pageCount };
  }
  return { kind: 'file', path: source.path, filename: document.filename, mimeType: document.mimeType, size: document.size, pages: document.pageCount };
}

type Readable = { origin: Extract<DocumentOrigin, { kind: 'file' | 'upload' }> & { path: string } } | { reason: string };

async function readable(inferenceId: string, deps: DocumentDeps): Promise<Readable> {
  const origin = await deps.client.documentOf(inferenceId);
  if (!origin) return { reason: 'This server has no record of the document this result came from (it was sent by another process, or its record expired).' };
  if (origin.kind === 'url') return { reason: 'The document is at a URL that Mindee fetched itself: this server never read it, so there is no page image.' };
  if (origin.kind === 'none') return { reason: origin.reason };
  if (origin.kind === 'upload') {
    const kept = deps.remote?.keptUpload ? await deps.remote.keptUpload(origin.upload) : { reason: 'The document was uploaded to a remote server that this process is not.' };
    if ('reason' in kept) return kept;
    if (origin.size > MAX_DOCUMENT_BYTES) return { reason: `The document is ${formatBytes(origin.size)}, more than the ${formatBytes(MAX_DOCUMENT_BYTES)} a review shows.` };
    return { origin: { ...origin, path: kept.path } };
  }
  if (deps.remote && !deps.remote.localFiles) return { reason: "This server's files are not readable by remote callers." };
  try {
    const resolved = await deps.files.resolve(origin.path);
    const info = await stat(resolved.path);
    if (resolved.identity && (info.ino !== resolved.identity.ino || info.dev !== resolved.identity.dev)) throw new Error('changed');
    if (info.size !== origin.size) return { reason: 'The file this result came from has changed since it was sent.' };
    if (info.size > MAX_DOCUMENT_BYTES) return { reason: `The document is ${formatBytes(info.size)}, more than the ${formatBytes(MAX_DOCUMENT_BYTES)} a review shows.` };
    return { origin: { ...origin, path: resolved.path } };
  } catch {
    return { reason: 'The file this result came from is no longer readable in the allowed directories.' };
  }
}

/** Where the view finds the document of a result, or why there is none. */
export async function documentRef(inferenceId: string, deps: DocumentDeps): Promise<DocumentRef> {
  const found = await readable(inferenceId, deps);
  if ('reason' in found) return { uri: null, reason: found.reason };
  return { uri: documentUri(inferenceId), mime_type: found.origin.mimeType, pages: found.origin.pages };
}

/** The bytes of a result's document, for its owner; throws with the reason when there are none. */
export async function readDocument(inferenceId: string, deps: DocumentDeps): Promise<{ mimeType: string; bytes: Buffer }> {
  const found = await readable(inferenceId, deps);
  if ('reason' in found) throw new Error(found.reason);
  const bytes = await readFile(found.origin.path);
  if (bytes.length !== found.origin.size) throw new Error('The file this result came from has changed since it was sent.');
  return { mimeType: found.origin.mimeType, bytes };
}
