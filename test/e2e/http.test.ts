/**
 * The built server as a team deploys it: `node dist/cli.js --transport http`, driven by the
 * SDK's StreamableHTTPClientTransport; and in stdio mode with `--webhook-port`. `npm test`
 * builds dist first.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { CLI, spawnServer } from '../helpers/spawned.js';
import { addSecret, recordOutput } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

const TOKEN = 'tok_e2e_6f1d3b5a7c9e2f4a6b8d0c1e';
addSecret(TOKEN);

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it first).');
});

describe('spawned server over Streamable HTTP', () => {
  it('serves the whole flow with token auth, JSON logs and pushed results, and shuts down gracefully with a call in flight', async () => {
    const server = await spawnServer(
      ['--transport', 'http', '--port', '0', '--emulator', '--log-format', 'json'],
      { MINDEE_MCP_AUTH: 'token', MINDEE_MCP_HTTP_TOKENS: TOKEN, MINDEE_MCP_EMULATOR_PROCESSING_MS: '300' },
    );
    try {
      const health = await request(`${server.url}/healthz`);
      expect(await health.body.json()).toMatchObject({ status: 'ok' });
      const refused = await request(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
      expect(refused.statusCode).toBe(401);
      await refused.body.dump();

      const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } });
      const client = new Client({ name: 'e2e-http', version: '1.0.0' });
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('enqueue_document');

      // A call in flight when SIGTERM comes: it ends normally, then the process exits 0.
      let signalled = false;
      const result = (await client.callTool({ name: 'enqueue_document', arguments: { model_id: 'invoice', file_base64: makeSampleInvoicePdf().toString('base64'), filename: 'inv.pdf' } }, undefined, {
        onprogress: () => {
          if (signalled) return;
          signalled = true;
          server.child.kill('SIGTERM');
        },
      })) as CallToolResult;
      recordOutput('e2e http', result);
      expect(signalled).toBe(true);
      expect(result.isError).toBeFalsy();
      expect(structuredOf('enqueue_document', result).result!.fields!.invoice_number).toBe('INV-2026-0042');
      expect(await server.exited).toBe(0);
      await client.close().catch(() => undefined);
    } finally {
      server.child.kill('SIGKILL');
    }
    const lines = server.stderr().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.find((l) => l.msg === 'request' && l.tool === 'enqueue_document')).toMatchObject({ status: 200, outcome: 'ok', principal: expect.stringMatching(/^token:/) });
    // The result came by webhook, from the in-process emulator.
    expect(lines.some((l) => l.msg === 'request' && l.path === '/webhooks/mindee' && l.status === 200)).toBe(true);
    expect(lines.some((l) => /shutting down \(SIGTERM\)/.test(l.msg))).toBe(true);
  });

  it('refuses to start on a non-loopback host without authentication', async () => {
    const child = spawn(process.execPath, [CLI, '--transport', 'http', '--host', '0.0.0.0', '--auth', 'none', '--emulator'], { env: { PATH: process.env.PATH ?? '' } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/MINDEE_MCP_AUTH=none serves anyone/);
  });
});

describe('a port already in use', () => {
  it('is said plainly, naming the setting that changes it', async () => {
    const busy = createNetServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [CLI, '--transport', 'http', '--port', String(port), '--emulator'], { env: { PATH: process.env.PATH ?? '' } });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(`could not listen on 127.0.0.1:${port}: the port is already in use`);
      expect(stderr).toContain('MINDEE_MCP_PORT (--port)');
      expect(stderr).not.toContain('    at ');
    } finally {
      busy.close();
    }
  });
});

describe('stdio with --webhook-port', () => {
  it('opens only the webhook endpoint, and receives the pushed results', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, '--emulator', '--webhook-port', '0'], env: { MINDEE_MCP_EMULATOR_PROCESSING_MS: '100' }, stderr: 'pipe' });
    let stderr = '';
    const receiving = new Promise<string>((resolve) => {
      transport.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = /receiving Mindee webhooks at (\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
    });
    const client = new Client({ name: 'e2e-stdio-webhooks', version: '1.0.0' });
    await client.connect(transport);
    try {
      const url = await receiving;
      const unsigned = await request(url, { method: 'POST', body: '{}' });
      expect(unsigned.statusCode).toBe(401);
      await unsigned.body.dump();
      const mcp = await request(url.replace('/webhooks/mindee', '/mcp'), { method: 'POST', body: '{}' });
      expect(mcp.statusCode).toBe(404);
      await mcp.body.dump();
      const done = (await client.callTool({ name: 'enqueue_document', arguments: { model_id: 'invoice', url: 'https://example.com/a.pdf' } })) as CallToolResult;
      recordOutput('e2e stdio webhooks', done);
      expect(done.isError).toBeFalsy();
    } finally {
      await client.close();
      recordOutput('server stderr', stderr);
    }
  });
});

describe('JSON logs', () => {
  /** Runs the server to its exit; its stderr, every line of which must be one JSON object. */
  async function jsonLines(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; lines: Array<Record<string, unknown>> }> {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    recordOutput('server stderr', stderr);
    const lines = stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    return { code, lines: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('says a refused setting, a port in use and a Redis that cannot be reached as JSON lines', async () => {
    const refused = await jsonLines(['--transport', 'http', '--port', '99999', '--emulator', '--log-format', 'json']);
    expect(refused.code).toBe(2);
    expect(refused.lines[0]).toMatchObject({ level: 'error', msg: expect.stringContaining('MINDEE_MCP_PORT must be at most 65535') });

    const busy = createNetServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const inUse = await jsonLines(['--transport', 'http', '--port', String(port), '--emulator'], { MINDEE_MCP_LOG_FORMAT: 'json' });
      expect(inUse.code).toBe(1);
      expect(inUse.lines[0]).toMatchObject({ level: 'error', msg: expect.stringContaining('the port is already in use') });
    } finally {
      busy.close();
    }

    const noRedis = await jsonLines(['--transport', 'http', '--port', '0', '--emulator', '--log-format=json', '--redis-url', 'redis://127.0.0.1:1']);
    expect(noRedis.code).toBe(1);
    expect(noRedis.lines.at(-1)).toMatchObject({ level: 'error', msg: expect.stringContaining('MINDEE_MCP_REDIS_URL') });
  });

  it('writes Node warnings and what libraries print with console.* as JSON lines of the logger', async () => {
    // A preload that, on SIGUSR2, does what a library or Node itself may do at any time.
    const preload = `data:text/javascript,${encodeURIComponent("process.on('SIGUSR2', () => { process.emitWarning('probe warning', 'ProbeWarning'); console.error('probe console', { a: 1 }); })")}`;
    const server = await spawnServer(['--transport', 'http', '--port', '0', '--emulator', '--log-format', 'json'], { MINDEE_MCP_AUTH: 'none', NODE_OPTIONS: `--import=${preload}` });
    try {
      const printed = new Promise<void>((resolve) => {
        server.child.stderr.on('data', () => {
          if (server.stderr().includes('probe console')) resolve();
        });
      });
      server.child.kill('SIGUSR2');
      await printed;
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    const lines = server.stderr().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'ProbeWarning: probe warning' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'probe console { a: 1 }' }));
  });
});
