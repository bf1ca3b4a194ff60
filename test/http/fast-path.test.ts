/**
 * POST /mcp is served before express (app.ts, respond.ts, fast-path.ts): the same checks in the
 * same order and the same answers as every other route, a 2026-07-28 answer written in one
 * piece, and the spellings express would route (`/mcp/`) still served.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { callerDigest } from '../../src/state/caller.js';
import { JSON_HEADERS, rpc, startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MODERN = '2026-07-28';
const TOKEN = 'fast-path-token-0123456789abcdef';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'fast-path-test', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

function modernHeaders(method: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...JSON_HEADERS, 'mcp-protocol-version': MODERN, 'mcp-method': method, authorization: `Bearer ${TOKEN}`, ...extra };
}

const tokenMode = () => startHttpHarness({ argv: ['--log-format', 'json'], env: { MINDEE_MCP_AUTH: 'token', MINDEE_MCP_HTTP_TOKENS: TOKEN, MINDEE_MCP_MAX_BODY_MB: '1' } });

describe('POST /mcp before express', () => {
  it('answers a 2026-07-28 request in one piece, with its length (no chunked framing)', async () => {
    h = await tokenMode();
    const res = await h.fetch('/mcp', { method: 'POST', headers: modernHeaders('tools/list'), body: rpc('tools/list', { _meta: ENVELOPE }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('transfer-encoding')).toBeNull();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(res.text)));
    expect(res.json().result.tools).toHaveLength(6);
    // A tool call that may send before its answer still streams, and ends with the answer.
    const call = await h.fetch('/mcp', {
      method: 'POST',
      headers: modernHeaders('tools/call', { 'mcp-name': 'search_models' }),
      body: rpc('tools/call', { name: 'search_models', arguments: {}, _meta: ENVELOPE }),
    });
    expect(call.status).toBe(200);
    expect(call.text).toContain('"result"');
  });

  it('runs the checks of every route in the same order: drain, Host, Origin, then auth, then the body', async () => {
    h = await tokenMode();
    const body = rpc('tools/list', { _meta: ENVELOPE });
    // Host before auth: a request of a host not allowed is refused as such, token or not.
    const host = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, host: 'evil.example' }, body });
    expect(host.status).toBe(403);
    expect(host.json().error.message).toMatch(/evil\.example/);
    // Origin before auth.
    const origin = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, origin: 'http://evil.example' }, body });
    expect(origin.status).toBe(403);
    expect(origin.json().error.message).toMatch(/Origin http:\/\/evil\.example is not allowed/);
    // Auth before the body: no token is 401 with its challenge, whatever the body.
    const missing = await h.fetch('/mcp', { method: 'POST', headers: JSON_HEADERS, body: '{not json' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8');
    // Then the body: not JSON is a parse error, over the limit 413 naming it.
    const garbled = await h.fetch('/mcp', { method: 'POST', headers: modernHeaders('tools/list'), body: '{not json' });
    expect(garbled.status).toBe(400);
    expect(garbled.json().error.code).toBe(-32700);
    const big = await h.fetch('/mcp', { method: 'POST', headers: modernHeaders('tools/list'), body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(1_100_000) } }) });
    expect(big.status).toBe(413);
    expect(big.json().error.message).toMatch(/MINDEE_MCP_MAX_BODY_MB/);
    // A body that is not JSON by its type is the SDK's to refuse (415).
    const typed = await h.fetch('/mcp', { method: 'POST', headers: modernHeaders('tools/list', { 'content-type': 'text/plain' }), body });
    expect(typed.status).toBe(415);
    // Drain first of all: 503 and the connection closed, even without a token.
    h.remote.drain();
    const draining = await h.fetch('/mcp', { method: 'POST', headers: JSON_HEADERS, body });
    expect(draining.status).toBe(503);
    expect(draining.headers.get('connection')).toBe('close');
  });

  it('logs and counts each request as before, and serves the spellings express routes ("/mcp/")', async () => {
    h = await tokenMode();
    const logged = h.nextLog((line) => line.includes('"msg":"request"') && line.includes('"rpc":"tools/list"'));
    const res = await h.fetch('/mcp', { method: 'POST', headers: modernHeaders('tools/list'), body: rpc('tools/list', { _meta: ENVELOPE }) });
    expect(res.status).toBe(200);
    const line = JSON.parse(await logged) as Record<string, unknown>;
    expect(line).toMatchObject({ method: 'POST', path: '/mcp', status: 200, rpc: 'tools/list', principal: `token:${callerDigest(TOKEN)}`, completed: true });
    const slash = await h.fetch('/mcp/', { method: 'POST', headers: modernHeaders('tools/list'), body: rpc('tools/list', { _meta: ENVELOPE }) });
    expect(slash.status).toBe(200);
    expect(slash.json().result.tools).toHaveLength(6);
    const metrics = await h.fetch('/metrics');
    expect(metrics.text).toMatch(/mindee_mcp_http_requests_total\{route="\/mcp",status="200"\} 1\b/);
  });
});

describe('what a request target or Host header may carry', () => {
  /** A raw request (node's client sends the target as written, absolute form included). */
  function raw(port: number, target: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: target, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('logs and counts an absolute-form target by its path only (no user:password of it in the log)', async () => {
    h = await tokenMode();
    const port = Number(new URL(h.url).port);
    const logged = h.nextLog((line) => line.includes('"msg":"request"') && line.includes('"rpc":"tools/list"'));
    const res = await raw(port, `http://alice:hunter2@127.0.0.1:${port}/mcp?k=v#frag`, modernHeaders('tools/list'), rpc('tools/list', { _meta: ENVELOPE }));
    expect(res.status).toBe(200);
    const line = await logged;
    expect(JSON.parse(line)).toMatchObject({ path: '/mcp', status: 200 });
    expect(line).not.toContain('hunter2');
    const metrics = await h.fetch('/metrics');
    expect(metrics.text).toMatch(/mindee_mcp_http_requests_total\{route="\/mcp",status="200"\} 1\b/);
  });

  it('answers a Host header with user info that the Host check lets through, without an internal error', async () => {
    h = await tokenMode();
    const port = Number(new URL(h.url).port);
    const res = await raw(port, '/mcp', modernHeaders('tools/list', { host: `x@127.0.0.1:${port}` }), rpc('tools/list', { _meta: ENVELOPE }));
    expect(res.status).not.toBe(500);
    expect(h.logs.filter((l) => l.includes('unexpected error'))).toEqual([]);
  });
});
