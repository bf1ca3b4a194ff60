/**
 * Issue 9, item 6: an over-long JSON-RPC line. The built server answers it with an error naming
 * the limit (and the request's id), drops its bytes, and keeps serving; it exits when stdin ends.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makePdf } from 'mindee-v2-emulator/samples';
import { MAX_STDIO_MESSAGE_BYTES } from '../../src/mcp/stdio.js';
import { recordOutput } from '../setup/secrets.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let child: ChildProcessWithoutNullStreams | undefined;
let dir: string | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The spawned server, spoken to line by line; every stdout line must be JSON. */
async function spawnServer() {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it first).');
  dir = await realpath(await mkdtemp(join(tmpdir(), 'mindee-stdio-')));
  const proc = spawn(process.execPath, [CLI, '--emulator', dir], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  child = proc;
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  proc.on('exit', () => recordOutput('server stderr', stderr));
  const waiting: Array<(message: any) => void> = [];
  const queued: any[] = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    recordOutput('server stdout', line);
    const message = JSON.parse(line); // anything else on stdout fails here
    const next = waiting.shift();
    if (next) next(message);
    else queued.push(message);
  });
  const send = (text: string) => new Promise<void>((resolve, reject) => proc.stdin.write(`${text}\n`, (error) => (error ? reject(error) : resolve())));
  const next = () => (queued.length > 0 ? Promise.resolve(queued.shift()) : new Promise<any>((resolve) => waiting.push(resolve)));
  /** A request written as the SDK's clients write it: the id last. */
  const request = async (id: number, method: string, params: unknown) => {
    await send(JSON.stringify({ method, params, jsonrpc: '2.0', id }));
    return next();
  };
  const init = await request(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } });
  expect(init.result.serverInfo.name).toBeTruthy();
  await send(JSON.stringify({ method: 'notifications/initialized', jsonrpc: '2.0' }));
  return { proc, send, next, request };
}

describe('the stdio transport bounds the length of a message', () => {
  it('answers an 11 MB request with an error naming the limit and its id, then keeps serving', { timeout: 60_000 }, async () => {
    const s = await spawnServer();
    const big = Buffer.alloc(8 * 1024 * 1024, 0x41).toString('base64');
    const refused = await s.request(7, 'tools/call', { name: 'enqueue_document', arguments: { model_id: 'invoice', file_base64: big } });
    expect(refused.id).toBe(7);
    expect(refused.error.code).toBe(-32600);
    expect(refused.error.message).toContain(`over the 8.0 MB (${MAX_STDIO_MESSAGE_BYTES} bytes) limit of one message on stdio`);
    expect(refused.error.message).toContain('file_path or url');

    const listed = await s.request(8, 'tools/list', {});
    expect(listed.result.tools.length).toBeGreaterThan(0);

    // Under the limit, a large base64 document reaches the tool and gets the tool's own answer.
    const justOver5MB = Buffer.concat([makePdf({ pages: [['x']] }), Buffer.alloc(5 * 1024 * 1024)]).toString('base64');
    const tool = await s.request(9, 'tools/call', { name: 'enqueue_document', arguments: { model_id: 'invoice', file_base64: justOver5MB } });
    expect(tool.result.isError).toBe(true);
    expect(tool.result.content[0].text).toMatch(/over the 5 MB limit for base64 content/);

    // An id written first is found too; a line that is not JSON gets a parse error.
    await s.send(`{"jsonrpc":"2.0","id":"first","method":"tools/call","params":{"name":"x","arguments":{"a":"${'b'.repeat(MAX_STDIO_MESSAGE_BYTES)}"}}}`);
    expect(await s.next()).toMatchObject({ id: 'first', error: { code: -32600 } });
    await s.send('{"jsonrpc": "2.0", "method": not json');
    expect(await s.next()).toMatchObject({ id: null, error: { code: -32700 } });
    expect((await s.request(10, 'ping', {})).result).toEqual({});
  });

  it('exits when stdin ends after an over-long line, without being signalled', { timeout: 30_000 }, async () => {
    const s = await spawnServer();
    await s.send(JSON.stringify({ method: 'tools/call', params: { x: 'y'.repeat(11 * 1024 * 1024) }, jsonrpc: '2.0', id: 3 }));
    expect((await s.next()).id).toBe(3);
    const exited = once(s.proc, 'exit');
    s.proc.stdin.end();
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('answers a request whose unknown argument is nested a million arrays deep, then keeps serving', { timeout: 30_000 }, async () => {
    const s = await spawnServer();
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    await s.send(`{"method":"tools/call","params":{"name":"get_job_status","arguments":{"job_id":"job-x","junk":${deep}}},"jsonrpc":"2.0","id":11}`);
    const answer = await s.next();
    expect(answer.id).toBe(11);
    expect(answer.result.isError).toBe(true);
    expect(answer.result.content[0].text).toContain('No job with id job-x');
    expect((await s.request(12, 'tools/list', {})).result.tools.length).toBeGreaterThan(0);
  });
});
