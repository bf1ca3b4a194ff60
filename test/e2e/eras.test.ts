/**
 * The built server over stdio in both protocol eras: the v2 SDK client pinned to 2026-07-28 and
 * in legacy mode (the v1 client is the 2025 host of stdio.test.ts), and raw 2026-07-28 requests
 * for the tasks extension, checked with the extension's own types (`@modelcontextprotocol/ext-tasks`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isCreateTaskResultV2, isDetailedTaskV2 } from '@modelcontextprotocol/ext-tasks/core/v2';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { MODERN, TASKS_EXTENSION, call, connectStdio } from '../helpers/modern.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { recordOutput } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let dir: string;
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it first).');
  dir = await realpath(await mkdtemp(join(tmpdir(), 'mindee-mcp-eras-')));
  await writeFile(join(dir, 'invoice.pdf'), makeSampleInvoicePdf());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const server = (env: Record<string, string> = {}) => ({ command: process.execPath, args: [CLI, '--emulator', dir], env: { MINDEE_MCP_STATE_DIR: join(dir, 'state'), ...env } });

describe('spawned server over stdio, both eras', () => {
  it.each(['modern', 'legacy'] as const)('serves the v2 client in the %s era: tools, progress, resources', async (era) => {
    const client = await connectStdio(server({ MINDEE_MCP_EMULATOR_PROCESSING_MS: '300' }), era);
    try {
      expect(client.getProtocolEra()).toBe(era);
      expect((await client.listTools()).tools).toHaveLength(6);
      const progress: string[] = [];
      const done = await call(client, 'enqueue_document', { model_id: 'invoice', file_path: join(dir, 'invoice.pdf') }, { onprogress: (p) => progress.push(p.message ?? '') });
      expect(done.isError).toBeFalsy();
      expect(structuredOf('enqueue_document', done).result!.fields!.invoice_number).toBe('INV-2026-0042');
      expect(progress.length).toBeGreaterThan(0);
      const inferenceId = structuredOf('enqueue_document', done).result!.inference_id;
      const read = await client.readResource({ uri: `mindee://inferences/${inferenceId}` });
      recordOutput('resource', read);
      expect(JSON.parse((read.contents[0] as { text: string }).text).inference.id).toBe(inferenceId);
    } finally {
      await client.close();
    }
  });
});

describe('roots in both eras', () => {
  it.each(['modern', 'legacy'] as const)('reads files in the folders a %s client shares, and only there', async (era) => {
    // No folder configured: only the client's roots open files.
    const client = await connectStdio({ command: process.execPath, args: [CLI, '--emulator'], env: { MINDEE_MCP_STATE_DIR: join(dir, 'state'), MINDEE_MCP_EMULATOR_PROCESSING_MS: '0' } }, era, { roots: [dir] });
    try {
      const done = await call(client, 'enqueue_document', { model_id: 'invoice', file_path: join(dir, 'invoice.pdf') });
      expect(done.isError).toBeFalsy();
      expect(structuredOf('enqueue_document', done).result!.fields!.invoice_number).toBe('INV-2026-0042');
      const outside = await call(client, 'enqueue_document', { model_id: 'invoice', file_path: CLI });
      expect(outside.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('2025-11-25 tasks over stdio', () => {
  it.each(hasRedis ? (['memory', 'Redis'] as const) : (['memory'] as const))('run for the v1 client as a 2025 host (%s state)', async (state) => {
    const redis = state === 'Redis' ? await startRedis() : undefined;
    const { command, args, env } = server({ MINDEE_MCP_EMULATOR_PROCESSING_MS: '300', ...(redis ? { MINDEE_MCP_REDIS_URL: redis.url } : {}) });
    const client = new V1Client({ name: 'host-2025', version: '1.0.0' });
    await client.connect(new V1StdioClientTransport({ command, args, env, stderr: 'pipe' }));
    try {
      const { task } = await client.request(
        { method: 'tools/call', params: { name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: join(dir, 'invoice.pdf') }, task: {} } },
        CreateTaskResultSchema,
      );
      expect(task.status).toBe('working');
      const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
      recordOutput('tasks/result', result);
      expect(structuredOf('enqueue_document', result).result!.fields!.invoice_number).toBe('INV-2026-0042');
      expect((await client.experimental.tasks.listTasks()).tasks.map((t) => [t.taskId, t.status])).toEqual([[task.taskId, 'completed']]);
    } finally {
      await client.close();
      await redis?.stop();
    }
  });
});

/** A 2026-07-28 client written by hand: one JSON-RPC request per line, each with its `_meta` envelope. */
class RawModern {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting = new Map<number, (message: any) => void>();
  #ids = 0;
  stderr = '';

  constructor(env: Record<string, string>) {
    const { command, args, env: extra } = server(env);
    this.#child = spawn(command, args, { env: { PATH: process.env.PATH, ...extra } });
    this.#child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      recordOutput('stdout', line);
      const message = JSON.parse(line);
      this.#waiting.get(message.id)?.(message);
    });
  }

  request(method: string, params: Record<string, unknown>, capabilities: Record<string, unknown> = {}): Promise<any> {
    const id = ++this.#ids;
    const _meta = {
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': capabilities,
    };
    const answer = new Promise<any>((resolve) => this.#waiting.set(id, resolve));
    this.#child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta } })}\n`);
    return answer;
  }

  async close(): Promise<void> {
    this.#child.stdin.end();
    if (this.#child.exitCode === null) await new Promise((resolve) => this.#child.once('exit', resolve));
    recordOutput('server stderr', this.stderr);
  }
}

describe('the tasks extension over stdio', () => {
  // Redis only where redis-server is installed (test/helpers/redis.ts says so once, and fails under CI).
  it.each(hasRedis ? (['memory', 'Redis'] as const) : (['memory'] as const))('answers a declaring client with a task once the wait outlasts its budget; tasks/get then carries the result (%s state)', async (state) => {
    const redis = state === 'Redis' ? await startRedis() : undefined;
    const raw = new RawModern({ MINDEE_MCP_EMULATOR_PROCESSING_MS: '2500', ...(redis ? { MINDEE_MCP_REDIS_URL: redis.url } : {}) });
    const tasks = { extensions: { [TASKS_EXTENSION]: {} } };
    try {
      const created = await raw.request('tools/call', { name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: join(dir, 'invoice.pdf'), max_wait_seconds: 1 } }, tasks);
      expect(isCreateTaskResultV2(created.result)).toBe(true);
      expect(created.result).toMatchObject({ resultType: 'task', status: 'working' });
      const { taskId, pollIntervalMs } = created.result;
      expect(pollIntervalMs).toBeGreaterThanOrEqual(1000);
      // Polled as the extension says, at its interval; the job ends 2.5 s after it was sent.
      let task: any;
      for (let i = 0; i < 20; i++) {
        task = (await raw.request('tasks/get', { taskId }, tasks)).result;
        expect(isDetailedTaskV2(task)).toBe(true);
        if (task.status !== 'working') break;
        await new Promise((resolve) => setTimeout(resolve, task.pollIntervalMs));
      }
      expect(task.status).toBe('completed');
      expect(task.result.structuredContent.result.fields.invoice_number).toBe('INV-2026-0042');
      // Unknown to this caller: an error, not a task.
      expect((await raw.request('tasks/get', { taskId: 'no-such-task' }, tasks)).error.code).toBe(-32602);
      // Without the extension declared, the same call answers plainly.
      const plain = await raw.request('tools/call', { name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: join(dir, 'invoice.pdf'), max_wait_seconds: 1 } });
      expect(plain.result.resultType).toBe('complete');
      expect(JSON.stringify(plain.result.content)).toMatch(/Still processing/);
    } finally {
      await raw.close();
      await redis?.stop();
    }
  });
});
