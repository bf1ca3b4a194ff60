import { Request } from 'undici';
import { describe, expect, it } from 'vitest';
import { MindeeInputError } from '../../src/client/errors.js';
import { MindeeClient } from '../../src/client/mindee-client.js';
import { multipartBody, UPLOAD_CHUNK_BYTES } from '../../src/client/multipart.js';
import { bufferSource, type ByteSource } from '../../src/client/pdf-encryption.js';
import { DEMO_MODELS, startEmulator } from 'mindee-v2-emulator';
import { makePdf } from 'mindee-v2-emulator/samples';
import { TEST_API_KEY } from '../setup/secrets.js';

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Parsed back by undici's own multipart parser, as the emulator parses uploads. */
async function parse(body: ReturnType<typeof multipartBody>) {
  const bytes = await collect(body.stream());
  return new Request('http://parse.invalid/', { method: 'POST', headers: { 'content-type': body.contentType }, body: bytes }).formData();
}

describe('multipartBody', () => {
  it('encodes text fields and a file part that undici parses back exactly, with an exact length', async () => {
    const file = Buffer.alloc(3 * UPLOAD_CHUNK_BYTES + 17);
    for (let i = 0; i < file.length; i++) file[i] = (i * 31) & 0xff;
    const body = multipartBody([
      { name: 'model_id', value: 'abc' },
      { name: 'file', filename: 'Fac"ture\r\nété.pdf', mimeType: 'application/pdf', source: bufferSource(file) },
      { name: 'text_context', value: 'line one\nline two — ünïcode' },
    ]);
    expect((await collect(body.stream())).length).toBe(body.contentLength);
    const form = await parse(body);
    expect(form.get('model_id')).toBe('abc');
    expect(form.get('text_context')).toBe('line one\r\nline two — ünïcode');
    const part = form.get('file') as File;
    expect(part.type).toBe('application/pdf');
    expect(part.name).toBe('Fac"ture\r\nété.pdf');
    expect(Buffer.from(await part.arrayBuffer()).equals(file)).toBe(true);
  });

  it('streams the same bytes on every attempt, reading the source in bounded chunks', async () => {
    const reads: number[] = [];
    const bytes = Buffer.alloc(5 * UPLOAD_CHUNK_BYTES, 7);
    const inner = bufferSource(bytes);
    const counted: ByteSource = { size: inner.size, read: (target, position) => (reads.push(target.length), inner.read(target, position)) };
    const body = multipartBody([{ name: 'file', filename: 'a.bin', mimeType: 'application/octet-stream', source: counted }]);
    const first = await collect(body.stream());
    const second = await collect(body.stream());
    expect(second.equals(first)).toBe(true);
    expect(Math.max(...reads)).toBeLessThanOrEqual(UPLOAD_CHUNK_BYTES);
  });

  it('fails the upload, saying why, when the source gets shorter than it was', async () => {
    const shrunk: ByteSource = { size: 1000, read: async (target, position) => (position >= 400 ? 0 : Math.min(target.length, 400 - position)) };
    const body = multipartBody([{ name: 'file', filename: 'a.pdf', mimeType: 'application/pdf', source: shrunk }]);
    await expect(collect(body.stream())).rejects.toThrow('The document got shorter while it was being uploaded (400 of 1000 bytes read).');

    const emulator = await startEmulator({ apiKey: TEST_API_KEY, processingMs: 0, rateLimits: false });
    const client = new MindeeClient({ apiKey: TEST_API_KEY, baseUrl: emulator.url });
    try {
      const pdf = makePdf({ pages: [['x']] });
      const cut: ByteSource = { size: pdf.length, read: async (target, position) => (position >= 100 ? 0 : bufferSource(pdf.subarray(0, 100)).read(target, position)) };
      const error = await client.enqueue({ kind: 'file', source: cut, filename: 'a.pdf', mimeType: 'application/pdf', size: pdf.length, pageCount: 1 }, { modelId: DEMO_MODELS.invoice }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MindeeInputError);
      expect((error as Error).message).toMatch(/got shorter while it was being uploaded/);
    } finally {
      await client.close();
      await emulator.close();
    }
  });
});
