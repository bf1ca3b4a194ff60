/**
 * Reads an enqueue request's form (multipart, or urlencoded for URL inputs) with undici's own
 * parser, refusing bodies over a size limit without buffering them and without crashing on
 * garbage.
 */
import type { IncomingMessage } from 'node:http';
import { Request } from 'undici';
import type { FormData } from 'undici';
import { fileTooLarge, malformedBody } from './problems.js';
import type { Problem } from './types.js';

export type FormOutcome = { ok: true; form: FormData } | { ok: false; problem: Problem };

class BodyTooLarge extends Error {}

/** Room for the other form fields and for base64's 4/3 expansion of a file at the limit. */
export function bodyLimitFor(maxFileBytes: number): number {
  return Math.ceil((maxFileBytes * 4) / 3) + 1024 * 1024;
}

export async function readForm(req: IncomingMessage, maxFileBytes: number): Promise<FormOutcome> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('multipart/form-data') && !type.startsWith('application/x-www-form-urlencoded')) {
    return {
      ok: false,
      problem: malformedBody(`The body must be multipart/form-data (got ${type ? `"${type.split(';')[0]}"` : 'no Content-Type'}).`),
    };
  }
  // A declared length over the limit was refused before reading; this bounds chunked bodies.
  const limit = bodyLimitFor(maxFileBytes);
  async function* limited(): AsyncGenerator<Uint8Array> {
    let seen = 0;
    // destroyOnReturn: false keeps the request readable after a refusal, so it can be drained.
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      seen += chunk.length;
      if (seen > limit) throw new BodyTooLarge();
      yield chunk;
    }
  }
  const headers: [string, string][] = [['content-type', req.headers['content-type'] ?? '']];
  try {
    const request = new Request('http://emulator.invalid/', { method: 'POST', headers, body: limited(), duplex: 'half' });
    return { ok: true, form: await request.formData() };
  } catch (err) {
    if (err instanceof BodyTooLarge || (err instanceof Error && err.cause instanceof BodyTooLarge)) {
      return { ok: false, problem: fileTooLarge(maxFileBytes) };
    }
    return { ok: false, problem: malformedBody('The multipart body could not be parsed.') };
  }
}

/**
 * Reads and discards what is left of a refused body, so the client gets the answer instead of a
 * reset connection while it is still uploading. Stops past `maxBytes`: true when the body was
 * read to its end, false when the connection must be closed after the answer instead.
 */
export function drain(req: IncomingMessage, maxBytes: number): Promise<boolean> {
  if (req.readableEnded) return Promise.resolve(true);
  if (req.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const settle = (ended: boolean) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) {
        req.pause();
        settle(false);
      }
    };
    const onEnd = () => settle(true);
    const onClose = () => settle(req.readableEnded);
    const onError = () => settle(false);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onError);
  });
}
