/**
 * What the remote server answers when a request cannot be served — a body it cannot decode, a
 * disk that is full, an OAuth issuer whose keys cannot be read — and what it logs: each says what
 * happened and what to do, to the caller and in the log (never "internal error" for the caller's
 * mistake, never a silent refusal for the server's own trouble).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { JSON_HEADERS, rpc, startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';
import { TEST_API_KEY, addSecret } from '../setup/secrets.js';

let h: HttpHarness | undefined;
let issuer: Server | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await new Promise<void>((resolve) => (issuer ? issuer.close(() => resolve()) : resolve()));
  issuer = undefined;
});
const AS_A = { authorization: `Bearer ${TEST_API_KEY}` };

/** A disk that takes `room` bytes, then fails every write as a full one does. */
function fullDisk(room: number): () => Writable {
  return () => {
    let written = 0;
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        if (written <= room) return callback();
        callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
      },
    });
  };
}

describe('bodies the server cannot read are the caller’s mistake, said as such', () => {
  it('a multipart upload without a boundary, or malformed, is a 400 that says how to send it', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const noBoundary = await h.fetch('/uploads', { method: 'POST', headers: { ...AS_A, 'content-type': 'multipart/form-data' }, body: 'abc' });
    expect(noBoundary.status).toBe(400);
    expect(noBoundary.json()).toMatchObject({ error: 'bad_multipart' });
    expect(noBoundary.json().error_description).toMatch(/boundary.*curl -F file=@scan\.pdf/i);

    const truncated = await h.fetch('/uploads', {
      method: 'POST',
      headers: { ...AS_A, 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 and then the body stops',
    });
    expect(truncated.status).toBe(400);
    expect(truncated.json()).toMatchObject({ error: 'bad_multipart' });
    expect(h.logs.some((l) => l.includes('unexpected error'))).toBe(false);
  });

  it('a body that is not the gzip its Content-Encoding says is a 400 on /mcp, and an upload with a Content-Encoding a 415', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const bad = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, ...AS_A, 'content-encoding': 'gzip' }, body: Buffer.from('not gzip at all') });
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toMatch(/cannot be decompressed.*Content-Encoding/);
    // The right encoding still works.
    const good = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, ...AS_A, 'content-encoding': 'gzip' }, body: gzipSync(rpc('tools/list')) });
    expect(good.status).toBe(200);

    const upload = await h.fetch('/uploads', { method: 'POST', headers: { ...AS_A, 'content-type': 'application/pdf', 'content-encoding': 'gzip' }, body: gzipSync(makeSampleInvoicePdf()) });
    expect(upload.status).toBe(415);
    expect(upload.json()).toMatchObject({ error: 'unsupported_encoding' });
    expect(upload.json().error_description).toMatch(/without Content-Encoding/);
    expect(h.logs.some((l) => l.includes('unexpected error'))).toBe(false);
  });
});

describe('the server’s own trouble is said to the caller and logged', () => {
  it('a full disk answers 507 "disk is full", keeps nothing, and logs it', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'], createUploadFile: fullDisk(1000) });
    const logged = h.nextLog((l) => l.includes('upload not stored'));
    const raw = await h.fetch('/uploads', { method: 'POST', headers: { ...AS_A, 'content-type': 'application/pdf' }, body: makeSampleInvoicePdf() });
    expect(raw.status).toBe(507);
    expect(raw.json()).toMatchObject({ error: 'insufficient_storage' });
    expect(raw.json().error_description).toMatch(/disk is full.*by url/);
    expect(await logged).toMatch(/disk is full \(ENOSPC writing to /);

    const form = new FormData();
    form.append('file', new Blob([makeSampleInvoicePdf()], { type: 'application/pdf' }), 'a.pdf');
    const multipart = new Request('http://x/', { method: 'POST', body: form });
    const body = Buffer.from(await multipart.arrayBuffer());
    const viaForm = await h.fetch('/uploads', { method: 'POST', headers: { ...AS_A, 'content-type': multipart.headers.get('content-type')! }, body });
    expect(viaForm.status).toBe(507);
    expect(viaForm.json().error_description).toMatch(/disk is full/);
  });

  it('an OAuth issuer whose keys cannot be read: 401 saying so (not "not a valid JWT"), and a warning in the log', async () => {
    issuer = createServer((_req, res) => res.writeHead(503).end('down for maintenance'));
    await new Promise<void>((resolve) => issuer!.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}/jwks.json`;
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ scope: 'mindee:read', client_id: 'c' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://issuer.test')
      .setAudience('https://mcp.test/mcp')
      .setSubject('alice')
      .setExpirationTime('5m')
      .sign(privateKey);
    addSecret(token);
    h = await startHttpHarness({
      env: { MINDEE_MCP_AUTH: 'oauth', MINDEE_MCP_OAUTH_ISSUER: 'https://issuer.test', MINDEE_MCP_OAUTH_JWKS_URL: jwksUrl, MINDEE_MCP_PUBLIC_URL: 'https://mcp.test' },
    });
    const logged = h.nextLog((l) => l.includes('signing keys'));
    const res = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` }, body: rpc('tools/list') });
    expect(res.status).toBe(401);
    expect(res.json().error_description).toMatch(/could not read its issuer's signing keys/);
    expect(res.json().error_description).not.toMatch(/not a valid JWT/);
    expect(await logged).toMatch(/JWKS at 127\.0\.0\.1:\d+\) could not be read: Expected 200 OK/);
  });
});
