/**
 * What changes for the tools when the server is remote (HTTP): the caller's files are not on
 * the server's disk, so local paths are refused unless directories were configured explicitly,
 * and documents arrive as uploads instead.
 */
import { MindeeInputError } from '../client/errors.js';
import type { DocumentSource } from '../client/types.js';
import type { DocumentToSend, ToolDeps } from './define.js';

/** A document that is not an upload: nothing becomes of it after the enqueue. */
export function notUploaded(source: DocumentSource): DocumentToSend {
  return { source, settle: async () => {} };
}

const SEND_INSTEAD =
  'Send the document with url (public https), file_base64 (small files) or an upload: POST the file to this server\'s /uploads (raw body or multipart), then pass the upload_id it answers.';

/** Throws when `argument` would read or write the server's disk for a remote caller. */
export function refuseLocalFiles(deps: ToolDeps, argument: 'file_path' | 'file_paths' | 'save_to'): void {
  if (!deps.remote || deps.remote.localFiles) return;
  if (argument === 'save_to') {
    throw new MindeeInputError('save_to cannot be used: this server runs remotely and writes no files for you.', {
      hint: 'Read the full JSON from the mindee://inferences/{inference_id} resource instead.',
    });
  }
  throw new MindeeInputError(`${argument} cannot be used: this server runs remotely and cannot read files on your machine.`, { hint: SEND_INSTEAD });
}

/** The document of an upload of this caller, claimed for this one use. */
export async function uploadSource(uploadId: string, filename: string | undefined, deps: ToolDeps): Promise<DocumentToSend> {
  if (!deps.remote) {
    throw new MindeeInputError('upload_id is for remote (HTTP) servers; this one runs on your machine.', { hint: 'Pass the document as file_path instead.' });
  }
  return deps.remote.claimUpload(uploadId, filename);
}
