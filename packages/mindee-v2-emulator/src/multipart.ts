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
    await drain(req);
    return {
      ok: false,
      problem: malformedBody(`The body must be multipart/form-data (got ${type ? `"${type.split(';')[0]}"` : 'no Content-Type'}).`),
    };
  }
  const limit = bodyLimitFor(maxFileBytes);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    await drain(req);
    return { ok: false, problem: fileTooLarge(maxFileBytes) };
  }
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
    await drain(req);
    if (err instanceof BodyTooLarge || (err instanceof Error && err.cause instanceof BodyTooLarge)) {
      return { ok: false, problem: fileTooLarge(maxFileBytes) };
    }
    return { ok: false, problem: malformedBody('The multipart body could not be parsed.') };
  }
}

/**
 * Reads and discards what is left of a refused body, so the client gets the answer instead of a
 * reset connection while it is still uploading.
 */
export function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    req.on('end', resolve);
    req.on('close', resolve);
    req.on('error', () => resolve());
    req.resume();
  });
}
