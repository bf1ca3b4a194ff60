/**
 * An in-process MCP session against the emulator: the runtime as the CLI makes it
 * (createRuntime), createServer with its client, an SDK Client over InMemoryTransport, a temp directory the server may read. Every result, log
 * line and progress message goes through the secret scan.
 */
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import type { MindeeClient, MindeeClientOptions } from '../../src/client/mindee-client.js';
import { startEmulator, type Emulator, type EmulatorOptions } from 'mindee-v2-emulator';
import { parseCommand } from '../../src/config.js';
import { createServer } from '../../src/mcp/server.js';
import { createRuntime } from '../../src/runtime.js';
import type { ToolDeps } from '../../src/tools/define.js';
import { TEST_API_KEY, recordOutput } from '../setup/secrets.js';

export interface Harness {
  emulator: Emulator;
  client: MindeeClient;
  mcp: Client;
  deps: ToolDeps;
  /** A directory the server may read. */
  dir: string;
  logs: string[];
  write(name: string, bytes: Buffer | string): Promise<string>;
  call(name: string, args: Record<string, unknown>, options?: { onprogress?: (p: Progress) => void; signal?: AbortSignal }): Promise<CallToolResult>;
  close(): Promise<void>;
}

export const FAST_POLLING = { firstPollMs: 10, minIntervalMs: 10, maxIntervalMs: 20, backoffRatio: 0.1 };

export async function startHarness(
  options: {
    emulator?: EmulatorOptions;
    /** Reuse a running emulator (another session of the same API); it is not closed. */
    sharedEmulator?: Emulator;
    client?: Partial<MindeeClientOptions>;
    settings?: Partial<ToolDeps['settings']>;
    allowedDirs?: string[];
    roots?: boolean;
  } = {},
): Promise<Harness> {
  const emulator = options.sharedEmulator ?? (await startEmulator({ processingMs: 0, apiKey: TEST_API_KEY, rateLimits: false, ...options.emulator }));
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'mindee-mcp-test-')));
  const logs: string[] = [];
  // A test may set the key to undefined: the server then has none.
  const { apiKey, baseUrl = emulator.url, ...connection } = { apiKey: TEST_API_KEY as string | undefined, ...options.client };
  // The server as cli.ts builds it (createRuntime), against this test's emulator, reading this test's directory.
  const command = parseCommand(options.allowedDirs ?? [dir], { MINDEE_V2_API_KEY: apiKey });
  if (command.kind !== 'serve') throw new Error('expected serve');
  const runtime = await createRuntime(command.config, {
    api: { baseUrl, apiKey },
    timings: null,
    settings: {
      maxWaitSeconds: 10,
      heartbeatMs: 1000,
      maxResultChars: 20_000,
      models: { defaultModelId: undefined, aliases: {} },
      keptResultsSeconds: undefined,
      inProcessEmulator: undefined,
      verify: undefined,
      ...options.settings,
    },
    connection: {
      polling: FAST_POLLING,
      requestTimeoutMs: 5000,
      // The emulator runs without rate limits here; the load tests set both sides' limits.
      rateLimits: { postPerMinute: 100_000, getPerMinute: 100_000 },
      missingKeyHint: undefined,
      ...connection,
    },
    log: {
      level: 'debug',
      write: (line) => {
        logs.push(line);
        recordOutput('log', line);
      },
    },
  });
  const client = runtime.connection.client(apiKey);
  const deps: ToolDeps = { client, files: runtime.files, log: runtime.log, settings: runtime.settings };
  const server = createServer(deps);
  const mcp = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: options.roots ? { roots: { listChanged: true } } : {} });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), mcp.connect(clientTransport)]);
  // Listing first makes the SDK client validate structured content against each outputSchema.
  await mcp.listTools();

  return {
    emulator,
    client,
    mcp,
    deps,
    dir,
    logs,
    async write(name, bytes) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      return path;
    },
    call: (name, args, callOptions = {}) => callTool(mcp, name, args, callOptions),
    async close() {
      await mcp.close();
      await server.close();
      await runtime.close();
      if (!options.sharedEmulator) await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Calls a tool with any SDK client (in memory or over HTTP), recording what comes back for the secret scan. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  options: { onprogress?: (p: Progress) => void; signal?: AbortSignal } = {},
): Promise<CallToolResult> {
  const result = (await client.callTool({ name, arguments: args }, undefined, {
    onprogress: (p) => {
      recordOutput('progress', p);
      options.onprogress?.(p);
    },
    signal: options.signal,
    timeout: 15_000,
  })) as CallToolResult;
  recordOutput(`${name} result`, result);
  return result;
}

/** The text of a result's first content item. */
export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first && first.type === 'text' ? first.text : '';
}
