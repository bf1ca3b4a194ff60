/**
 * Every auth mode of the remote server over real HTTP, each refusal and each success: the
 * caller's own Mindee key, static bearer tokens, OAuth JWTs (verified against a JWKS served on
 * loopback, tokens signed here), and none.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JSON_HEADERS, callTool, rpc, startHttpHarness, tempDir, type HttpHarness } from '../helpers/http-harness.js';
import { TEST_API_KEY, addSecret } from '../setup/secrets.js';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const listTools = (headers: Record<string, string> = {}) => h!.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: rpc('tools/list') });
const callBody = (name: string, args: Record<string, unknown>) => rpc('tools/call', { name, arguments: args });

describe('mindee-key: each caller sends its own Mindee key', () => {
  it('answers 401 with WWW-Authenticate when the key is missing or malformed', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const missing = await listTools();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm="mindee-mcp"/);
    expect(missing.json().error_description).toContain('X-Mindee-Api-Key');
    const basic = await listTools({ authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('uses the key of Authorization: Bearer, or of X-Mindee-Api-Key, raw (without "Bearer") towards Mindee', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const variants: Array<Record<string, string>> = [{ authorization: `Bearer ${TEST_API_KEY}` }, { 'x-mindee-api-key': TEST_API_KEY }, { 'x-mindee-api-key': `Bearer ${TEST_API_KEY}` }];
    for (const headers of variants) {
      const res = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: callBody('search_models', { name: 'invoice' }) });
      expect(res.status).toBe(200);
      expect(res.text).toContain('invoice');
    }
    // One model search checked the key before its first request was read; then the three calls.
    expect(h.emulator.requests.length).toBe(4);
    expect(h.emulator.requests.every((r) => r.authorized)).toBe(true);
  });

  it('refuses a key Mindee refuses with 401 before the request is read, naming no setting of the server', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const wrong = 'md_wrong_key_0123456789abcdef';
    addSecret(wrong);
    const res = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ${wrong}` }, body: callBody('search_models', {}) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    // The caller set no variable: the answer is about the key they sent.
    expect(res.json().error_description).toContain('Mindee refused the API key sent with this request');
    expect(res.text).not.toContain('MINDEE_V2_API_KEY');
  });

  it('refuses what is not a Mindee v2 key at the door, without sending it on', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'mindee-key'] });
    const refused = await h.fetch('/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: 'Bearer notamindeekey' }, body: '{}' });
    expect(refused.status).toBe(401);
    expect(refused.json().error_description).toContain('not a Mindee v2 API key');
    expect(h.emulator.requests).toHaveLength(0);
  });
});

describe('token: the server holds the key, callers present one of the configured tokens', () => {
  const good = 'tok_good_7c1e5a3b9d2f4e6a8c0b';
  const other = 'tok_other_1f3e5d7c9b2a4e6d8f0a';
  beforeAll(() => {
    addSecret(good);
    addSecret(other);
  });

  it('refuses a missing or unknown token with 401, and serves a known one', async () => {
    h = await startHttpHarness({ env: { MINDEE_MCP_AUTH: 'token', MINDEE_MCP_HTTP_TOKENS: `${other},${good}` } });
    const missing = await listTools();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    const wrong = await listTools({ authorization: 'Bearer tok_wrong_0000000000000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.json().error_description).toMatch(/not one this server accepts/);
    // The key stays on the server: the caller never sends it.
    const client = await h.client({ authorization: `Bearer ${good}` });
    const result = await callTool(client, 'search_models', { name: 'invoice' });
    expect(result.isError).toBeFalsy();
    expect(h.emulator.requests.every((r) => r.authorized)).toBe(true);
  });

  it('reads the tokens from a file with @file', async () => {
    const tmp = await tempDir();
    try {
      const file = join(tmp.dir, 'tokens');
      await writeFile(file, `# team\n${good}\n\n${other}\n`);
      h = await startHttpHarness({ env: { MINDEE_MCP_AUTH: 'token', MINDEE_MCP_HTTP_TOKENS: `@${file}` } });
      expect((await listTools({ authorization: `Bearer ${other}` })).status).toBe(200);
      expect((await listTools({ authorization: 'Bearer # team' })).status).toBe(401);
    } finally {
      await tmp.close();
    }
  });
});

describe('oauth: JWT access tokens from an issuer', () => {
  const ISSUER = 'https://issuer.test';
  const PUBLIC_URL = 'https://mcp.test';
  let jwks: Server;
  let jwksUrl: string;
  let key: CryptoKey;
  let strangerKey: CryptoKey;

  beforeAll(async () => {
    strangerKey = (await generateKeyPair('ES256')).privateKey;
    const own = await generateKeyPair('ES256', { extractable: true });
    key = own.privateKey;
    const jwk = { ...(await exportJWK(own.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

  const sign = async (claims: { scope?: string; aud?: string; iss?: string; exp?: number | string; signer?: CryptoKey } = {}) => {
    const token = await new SignJWT({ scope: claims.scope ?? 'mindee:read mindee:enqueue', client_id: 'test-client' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? `${PUBLIC_URL}/mcp`)
      .setSubject('alice@example.com')
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? '5m')
      .sign(claims.signer ?? key);
    addSecret(token);
    return token;
  };
  const start = () =>
    startHttpHarness({
      env: { MINDEE_MCP_AUTH: 'oauth', MINDEE_MCP_OAUTH_ISSUER: ISSUER, MINDEE_MCP_OAUTH_JWKS_URL: jwksUrl, MINDEE_MCP_PUBLIC_URL: PUBLIC_URL },
    });

  it('serves RFC 9728 metadata, and points at it in every 401', async () => {
    h = await start();
    const metadata = await h.fetch('/.well-known/oauth-protected-resource/mcp');
    expect(metadata.status).toBe(200);
    expect(metadata.json()).toMatchObject({ resource: `${PUBLIC_URL}/mcp`, authorization_servers: [ISSUER], scopes_supported: ['mindee:read', 'mindee:enqueue'] });
    const missing = await listTools();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain(`resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp"`);
  });

  it('serves the same metadata when MINDEE_MCP_PUBLIC_URL is given as the URL clients use (…/mcp), not at …/mcp/mcp', async () => {
    h = await startHttpHarness({
      env: { MINDEE_MCP_AUTH: 'oauth', MINDEE_MCP_OAUTH_ISSUER: ISSUER, MINDEE_MCP_OAUTH_JWKS_URL: jwksUrl, MINDEE_MCP_PUBLIC_URL: `${PUBLIC_URL}/mcp` },
    });
    const metadata = await h.fetch('/.well-known/oauth-protected-resource/mcp');
    expect(metadata.status).toBe(200);
    expect(metadata.json()).toMatchObject({ resource: `${PUBLIC_URL}/mcp` });
    const missing = await listTools();
    expect(missing.headers.get('www-authenticate')).toContain(`resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp"`);
    const ok = await listTools({ authorization: `Bearer ${await sign()}` });
    expect(ok.status).toBe(200);
  });

  it('refuses a token that is expired, for another audience, from another issuer, or signed by another key', async () => {
    h = await start();
    const cases: Array<[string, string, RegExp]> = [
      ['expired', await sign({ exp: Math.floor(Date.now() / 1000) - 60 }), /expired/],
      ['audience', await sign({ aud: 'https://other.test/mcp' }), /audience/],
      ['issuer', await sign({ iss: 'https://evil.test' }), /issuer/],
      ['signature', await sign({ signer: strangerKey }), /signature/],
      ['garbage', 'not-a-jwt', /not a valid JWT/],
    ];
    for (const [what, token, message] of cases) {
      const res = await listTools({ authorization: `Bearer ${token}` });
      expect(res.status, what).toBe(401);
      expect(res.headers.get('www-authenticate'), what).toContain('error="invalid_token"');
      expect(res.json().error_description, what).toMatch(message);
    }
  });

  it('needs mindee:enqueue to enqueue (403 insufficient_scope) and mindee:read to read', async () => {
    h = await start();
    const readOnly = await sign({ scope: 'mindee:read' });
    const enqueue = await h.fetch('/mcp', {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${readOnly}` },
      body: callBody('enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf' }),
    });
    expect(enqueue.status).toBe(403);
    expect(enqueue.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="mindee:enqueue"/);
    expect(h.emulator.requests).toHaveLength(0);
    // Recording review decisions changes what later reads give: the enqueue scope too.
    const review = await h.fetch('/mcp', {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${readOnly}` },
      body: callBody('review_result', { inference_id: 'inf-1', decisions: [{ path: 'total_amount', action: 'accept' }] }),
    });
    expect(review.status).toBe(403);
    const read = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ${readOnly}` }, body: callBody('search_models', {}) });
    expect(read.status).toBe(200);
    const enqueueOnly = await sign({ scope: 'mindee:enqueue' });
    const resources = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ${enqueueOnly}` }, body: rpc('resources/list') });
    expect(resources.status).toBe(403);
    expect(resources.headers.get('www-authenticate')).toContain('scope="mindee:read"');
  });

  it('needs mindee:enqueue to store an upload: a read-only token stores nothing', async () => {
    h = await start();
    const upload = async (token: string) =>
      h!.fetch('/uploads?filename=a.pdf', { method: 'POST', headers: { 'content-type': 'application/pdf', authorization: `Bearer ${token}` }, body: Buffer.from('%PDF-1.4\n%%EOF\n') });
    const refused = await upload(await sign({ scope: 'mindee:read' }));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="mindee:enqueue".*resource_metadata=/);
    expect(await readdir(h.remote.uploads.dir)).toEqual([]);
    expect((await upload(await sign({ scope: 'mindee:enqueue' }))).status).not.toBe(403);
  });

  it('serves a good token, with the subject as principal', async () => {
    h = await start();
    const token = await sign();
    const client = await h.client({ authorization: `Bearer ${token}` });
    const result = await callTool(client, 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf', wait: false });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    // The caller is the issuer and the subject, whole, as one digest.
    expect(h.logs.some((l) => /principal=oauth:[0-9a-f]{64}\b/.test(l))).toBe(true);
  });
});

describe('none', () => {
  it('serves anyone, on loopback', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'none'] });
    expect((await listTools()).status).toBe(200);
    expect(h.config.auth).toBe('none');
  });
});
