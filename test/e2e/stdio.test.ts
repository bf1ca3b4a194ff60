/**
 * The built server as a host runs it: `node dist/cli.js` over stdio, driven by the SDK's Client.
 * `npm test` builds dist first.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELS, EMULATOR_API_KEY, startEmulator, type Emulator } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { TEST_API_KEY, recordOutput } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let dir: string;
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it first).');
  dir = await realpath(await mkdtemp(join(tmpdir(), 'mindee-mcp-e2e-')));
  await writeFile(join(dir, 'invoice.pdf'), makeSampleInvoicePdf());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function connect(args: string[], env: Record<string, string>) {
  // Learned timings go to a directory of the test, never to the user's cache.
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...args], env: { MINDEE_MCP_STATE_DIR: join(dir, 'state'), ...env }, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const protocolErrors: Error[] = [];
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  client.onerror = (error) => protocolErrors.push(error);
  await client.connect(transport);
  return {
    client,
    protocolErrors,
    stderr: () => stderr,
    async close() {
      await client.close();
      recordOutput('server stderr', stderr);
    },
  };
}

describe('spawned server over stdio', () => {
  it('runs the whole flow against its built-in emulator', async () => {
    const s = await connect(['--emulator', dir], { MINDEE_MCP_EMULATOR_PROCESSING_MS: '100' });
    try {
      const { tools } = await s.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['enqueue_document', 'enqueue_documents', 'get_job_status', 'get_inference_result', 'review_result', 'search_models']);
      const queued = await s.client.callTool({ name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: 'invoice.pdf', wait: false } });
      recordOutput('e2e', queued);
      const jobId = structuredOf('enqueue_document', queued).job.job_id;
      const status = await s.client.callTool({ name: 'get_job_status', arguments: { job_id: jobId, wait_seconds: 10 } });
      const inferenceId = structuredOf('get_job_status', status).job.inference_id;
      expect(inferenceId).toBeTruthy();
      const result = await s.client.callTool({ name: 'get_inference_result', arguments: { inference_id: inferenceId } });
      recordOutput('e2e', result);
      expect(structuredOf('get_inference_result', result).fields!.invoice_number).toBe('INV-2026-0042');
      expect(s.protocolErrors).toEqual([]);
    } finally {
      await s.close();
    }
    expect(s.stderr()).toContain('serving on stdio');
  });

  it('runs enqueue_document as an MCP task: created at once, followed, its result read', async () => {
    const s = await connect(['--emulator', dir], { MINDEE_MCP_EMULATOR_PROCESSING_MS: '300' });
    try {
      const kinds: string[] = [];
      let final: any;
      for await (const message of s.client.experimental.tasks.callToolStream(
        { name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: 'invoice.pdf' } },
        CallToolResultSchema,
        { task: { ttl: 1_800_000 } },
      )) {
        kinds.push(message.type);
        if (message.type === 'result') final = message.result;
      }
      expect(kinds[0]).toBe('taskCreated');
      expect(kinds.at(-1)).toBe('result');
      recordOutput('e2e task', final);
      expect(final.structuredContent.result.fields.invoice_number).toBe('INV-2026-0042');
      const { tasks } = await s.client.experimental.tasks.listTasks();
      expect(tasks).toEqual([expect.objectContaining({ status: 'completed', ttl: 1_800_000 })]);
    } finally {
      await s.close();
    }
  });

  it('with --emulator, tells how to keep a job across processes, naming the emulator\'s public key', async () => {
    const c = await connect(['--emulator', dir], {});
    try {
      const missing = (await c.client.callTool({ name: 'get_job_status', arguments: { job_id: 'job-from-another-process' } })) as CallToolResult;
      expect(missing.isError).toBe(true);
      const text = missing.content[0]!.type === 'text' ? missing.content[0]!.text : '';
      // The in-process emulator's key is no secret: redacting it would make the hint useless.
      expect(text).toContain('MINDEE_V2_API_KEY=md_emulator_local_key');
    } finally {
      await c.close();
    }
  });

  it('works with any server that speaks the Mindee v2 API, via MINDEE_V2_BASE_URL', async () => {
    const emulator: Emulator = await startEmulator({ apiKey: TEST_API_KEY, processingMs: 50 });
    const s = await connect([dir], { MINDEE_V2_BASE_URL: emulator.url, MINDEE_V2_API_KEY: TEST_API_KEY, MINDEE_MCP_LOG_LEVEL: 'debug' });
    try {
      const models = await s.client.callTool({ name: 'search_models', arguments: { name: 'invoice' } });
      const modelId = structuredOf('search_models', models).models[0]!.id;
      const done = await s.client.callTool({ name: 'enqueue_document', arguments: { model_id: modelId, file_path: join(dir, 'invoice.pdf') } });
      recordOutput('e2e', done);
      expect(done.isError).toBeFalsy();
      expect(structuredOf('enqueue_document', done).result!.fields!.invoice_number).toBe('INV-2026-0042');
      expect(emulator.requests.every((r) => r.authorized)).toBe(true);
    } finally {
      await s.close();
      await emulator.close();
    }
  });

  it('keeps what it learned in MINDEE_MCP_STATE_DIR when it exits, and nothing at all with off', async () => {
    const emulator: Emulator = await startEmulator({ apiKey: TEST_API_KEY, processingMs: 50 });
    const stateDir = join(dir, 'learned');
    const home = join(dir, 'home');
    const extract = async (env: Record<string, string>) => {
      const s = await connect([dir], { MINDEE_V2_BASE_URL: emulator.url, MINDEE_V2_API_KEY: TEST_API_KEY, ...env });
      try {
        const done = await s.client.callTool({ name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, file_path: 'invoice.pdf' } });
        expect(done.isError).toBeFalsy();
      } finally {
        await s.close();
      }
    };
    try {
      await extract({ MINDEE_MCP_STATE_DIR: stateDir });
      const file = await readFile(join(stateDir, 'poll-timings.json'), 'utf8');
      recordOutput('state file', file);
      expect(Object.keys(JSON.parse(file).models)).toEqual([DEMO_MODELS.invoice]);
      expect(file).not.toContain('invoice.pdf');

      await extract({ MINDEE_MCP_STATE_DIR: 'off', HOME: home, XDG_CACHE_HOME: join(home, '.cache') });
      await expect(readdir(home)).rejects.toThrow(/ENOENT/);
    } finally {
      await emulator.close();
    }
  });

  it('writes nothing but JSON-RPC to stdout, not even what a library prints with console.log, and exits when stdin closes', async () => {
    // A preload that, on SIGUSR2, prints as a library may at any time.
    const preload = `data:text/javascript,${encodeURIComponent("process.on('SIGUSR2', () => { console.log('probe log'); console.info('probe info'); console.debug('probe debug'); })")}`;
    const child = spawn(process.execPath, [CLI, '--emulator', dir], {
      env: { PATH: process.env.PATH ?? '', MINDEE_MCP_LOG_LEVEL: 'debug', NODE_OPTIONS: `--import=${preload}` },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const send = (msg: object) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    const waitFor = (id: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (stdout.split('\n').some((l) => l.includes(`"id":${id}`))) {
            child.stdout.off('data', check);
            resolve();
          }
        };
        child.stdout.on('data', check);
        child.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
        check();
      });
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    await waitFor(1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: 'invoice.pdf' } } });
    await waitFor(2);
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_job_status', arguments: { job_id: 'nope' } } });
    await waitFor(3);
    const printed = new Promise<void>((resolve) => {
      const check = () => {
        if (stderr.includes('probe debug')) resolve();
      };
      child.stderr.on('data', check);
      check();
    });
    child.kill('SIGUSR2');
    await printed;
    expect(stderr).toContain('probe log');
    expect(stderr).toContain('probe info');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin.end();
    expect(await exited).toBe(0);
    recordOutput('raw stdout', stdout);
    recordOutput('raw stderr', stderr);
    const lines = stdout.split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    expect(stderr).toContain('[mindee-mcp]');
  });

  it('`mindee-mcp emulator` is the emulator package\'s command, under the server\'s name', async () => {
    const help = await promisify(execFile)(process.execPath, [CLI, 'emulator', '--help']);
    expect(help.stdout).toMatch(/^Usage: mindee-mcp emulator \[options\]/);
    expect(help.stdout).toContain('--models-file');
    const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', '--webhook-url', 'http://127.0.0.1:9/hooks'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const url = /listening on (\S+) /.exec(line)?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await request(`${url}/v2/search/models?name=invoice`, { headers: { authorization: EMULATOR_API_KEY } });
      const body = (await res.body.json()) as { models: { webhooks: { url: string }[] }[] };
      expect(body.models[0]?.webhooks.map((w) => w.url)).toEqual(['http://127.0.0.1:9/hooks', 'http://127.0.0.1:9/hooks']);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect((await exited)[0]).toBe(0);
    }
  });
});
