/**
 * multipart/form-data bodies streamed from a ByteSource — an opened file handle, or bytes in
 * memory — with an exact Content-Length. A body is a recipe, not a stream: each attempt of a
 * request (the first, and every retry) streams it anew from the same source, so a retry sends
 * the very bytes that were checked, never what a path names later. (undici's FormData needs a
 * Blob, and Node 20 has no Blob backed by an open file: `fs.openAsBlob` re-opens the path.)
 */
import { randomBytes } from 'node:crypto';
import { MindeeInputError } from './errors.js';
import type { EnqueueParams, UploadDocument } from './types.js';
import type { ByteSource } from './pdf-encryption.js';

export type FormPart =
  | { name: string; value: string }
  | { name: string; filename: string; mimeType: string; source: ByteSource };

export interface MultipartBody {
  readonly contentType: string;
  readonly contentLength: number;
  /** The whole body, from its first byte: call once per attempt. */
  stream(): AsyncIterable<Uint8Array>;
}

/** Bytes read from the source at a time: the memory an upload holds, whatever the file's size. */
export const UPLOAD_CHUNK_BYTES = 64 * 1024;

export function multipartBody(parts: readonly FormPart[], boundary = `----mindee-mcp-${randomBytes(16).toString('hex')}`): MultipartBody {
  const encoded = parts.map((part) => {
    const head =
      'source' in part
        ? `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(part.name)}"; filename="${escapeQuoted(part.filename)}"\r\nContent-Type: ${part.mimeType}\r\n\r\n`
        : `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(part.name)}"\r\n\r\n`;
    return {
      head: Buffer.from(head, 'utf8'),
      value: 'source' in part ? null : Buffer.from(normalizeLineBreaks(part.value), 'utf8'),
      source: 'source' in part ? part.source : null,
    };
  });
  const CRLF = Buffer.from('\r\n');
  const closing = Buffer.from(`--${boundary}--\r\n`);
  const contentLength =
    encoded.reduce((sum, p) => sum + p.head.length + (p.value?.length ?? p.source!.size) + CRLF.length, 0) + closing.length;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength,
    async *stream() {
      for (const part of encoded) {
        yield part.head;
        if (part.value) yield part.value;
        else yield* sourceChunks(part.source!);
        yield CRLF;
      }
      yield closing;
    },
  };
}

/** The source's bytes in fixed-size chunks, each a new buffer (the transport may still hold the last). */
async function* sourceChunks(source: ByteSource): AsyncGenerator<Uint8Array> {
  let position = 0;
  while (position < source.size) {
    const chunk = Buffer.allocUnsafe(Math.min(UPLOAD_CHUNK_BYTES, source.size - position));
    let filled = 0;
    while (filled < chunk.length) {
      const n = await source.read(chunk.subarray(filled), position + filled);
      if (n <= 0) {
        throw new MindeeInputError(`The document got shorter while it was being uploaded (${position + filled} of ${source.size} bytes read).`, {
          hint: 'Wait until nothing is writing to the file any more, then send it again.',
        });
      }
      filled += n;
    }
    position += chunk.length;
    yield chunk;
  }
}

/** Quotes in names are percent-encoded and line breaks escaped, as browsers and undici's FormData do. */
function escapeQuoted(text: string): string {
  return text.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
}

/** Line breaks in text values are sent as CRLF, as undici's FormData sends them. */
function normalizeLineBreaks(text: string): string {
  return text.replace(/\r?\n|\r/g, '\r\n');
}

/** The options that only the extraction product takes, with their form field names. */
export const EXTRACTION_OPTIONS = [
  ['rag', 'rag'],
  ['rawText', 'raw_text'],
  ['polygon', 'polygon'],
  ['confidence', 'confidence'],
  ['textContext', 'text_context'],
  ['dataSchema', 'data_schema'],
] as const;

/** The form of an enqueue: the model, the document (a file part or its URL) and the options given. */
export function enqueueFormBody(document: UploadDocument, params: EnqueueParams): MultipartBody {
  const parts: FormPart[] = [{ name: 'model_id', value: params.modelId }];
  if (document.kind === 'file') {
    parts.push({ name: 'file', filename: document.filename, mimeType: document.mimeType, source: document.source });
  } else {
    parts.push({ name: 'url', value: document.url });
  }
  if (params.alias !== undefined) parts.push({ name: 'alias', value: params.alias });
  if (params.webhookIds && params.webhookIds.length > 0) parts.push({ name: 'webhook_ids', value: params.webhookIds.join(',') });
  for (const [key, name] of EXTRACTION_OPTIONS) {
    const value = params[key];
    if (value === undefined) continue;
    // Booleans as the API spells them; a data schema as JSON unless given as text.
    parts.push({ name, value: typeof value === 'boolean' || typeof value === 'string' ? String(value) : JSON.stringify(value) });
  }
  return multipartBody(parts);
}
