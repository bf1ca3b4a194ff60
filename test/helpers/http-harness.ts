/**
 * The remote server in process, as cli.ts assembles it, on a real loopback port: settings from
 * argv and env (parseCommand), the runtime (createRuntime) against an emulator, createRemoteServer
 * and its listener. Every log line and every answer the tests read goes through the secret scan.
 */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { request } from 'undici';
import { DEMO_MODELS, startEmulator, type Emulator, type EmulatorOptions } from 'mindee-v2-emulator';
import type { ConnectionOptions, MindeeConnection } from '../../src/client/mindee-client.js';
import { parseCommand, type Config } from '../../src/config.js';
import { HttpListener } from '../../src/http/listener.js';
import { Metrics } from '../../src/http/metrics.js';
import { createRemoteServer, toolNames, type RemoteOptions, type RemoteServer } from '../../src/http/remote-server.js';
import { createRuntime } from '../../src/runtime.js';
import type { Clock } from '../../src/lib/clock.js';
import type { KeptLimits, UploadLimits } from '../../src/state/uploads.js';
import type { ToolSettings } from '../../src/tools/define.js';
import { FAST_POLLING } from './harness.js';
import { TEST_API_KEY, recordOutput } from '../setup/secrets.js';

export interface HttpHarness {
  url: string;
  mcpUrl: string;
  emulator: Emulator;
  connection: MindeeConnection;
  remote: RemoteServer;
  listener: HttpListener;
  metrics: Metrics;
  config: Config;
  /** Every log line, as written. */
  logs: string[];
  /** Resolves with the first log line (written from now on) that `match` accepts. */
  nextLog(match: (line: string) => boolean): Promise<string>;
  /** A raw request (undici, which lets a test set Host), its answer recorded for the secret scan. */
  fetch(path: string, init?: RawInit): Promise<RawResponse>;
  /** An SDK client over Streamable HTTP, sending these headers. */
  client(headers?: Record<string, string>): Promise<Client>;
  close(): Promise<void>;
}

interface RawInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): any;
}

export interface HttpHarnessOptions {
  argv?: string[];
  env?: Record<string, string>;
  emulator?: EmulatorOptions;
  sharedEmulator?: Emulator;
  connection?: Partial<ConnectionOptions>;
  settings?: Partial<ToolSettings>;
  clock?: Clock;
  /** The emulator's webhooks deliver to this server's /webhooks/mindee. */
  webhooksToServer?: boolean;
  maxUploadBytes?: number;
  uploadLimits?: Partial<UploadLimits>;
  keptUploadLimits?: Partial<KeptLimits>;
  createUploadFile?: RemoteOptions['createUploadFile'];
  /** Wraps the runtime's logger maker (tests: count the loggers the server makes). */
  wrapMakeLogger?: (make: RemoteOptions['makeLogger']) => RemoteOptions['makeLogger'];
}

export const WEBHOOK_SECRET = 'whsec_test_5a8d1c3e9f7b2a4d6c8e0f1a3b5c7d9e';

export async function startHttpHarness(options: HttpHarnessOptions = {}): Promise<HttpHarness> {
  // The server has the test key unless a test says otherwise (mindee-key mode: the callers have theirs).
  const env = { MINDEE_V2_API_KEY: TEST_API_KEY, ...options.env };
  const command = parseCommand(['--transport', 'http', '--port', '0', ...(options.argv ?? [])], env);
  if (command.kind !== 'serve') throw new Error('expected serve');
  const config = command.config;
  const listener = await HttpListener.open({ host: config.host, port: 0, requestTimeoutMs: config.httpTimeoutSeconds * 1000, maxConnections: config.maxConnections });
  const emulator =
    options.sharedEmulator ??
    (await startEmulator({
      processingMs: 0,
      apiKey: TEST_API_KEY,
      rateLimits: false,
      ...(options.webhooksToServer ? { webhookUrl: `${listener.url}/webhooks/mindee`, webhookSecret: WEBHOOK_SECRET } : {}),
      ...options.emulator,
    }));
  const logs: string[] = [];
  const watchers = new Set<(line: string) => void>();
  let metrics!: Metrics;
  // The server as cli.ts builds it (createRuntime), against this test's emulator and clock.
  const runtime = await createRuntime(config, {
    clock: options.clock,
    api: { baseUrl: emulator.url },
    receiver: `${listener.url}/webhooks/mindee`,
    state: options.connection?.state,
    timings: null,
    settings: {
      maxWaitSeconds: 10,
      heartbeatMs: 1000,
      maxResultChars: 20_000,
      models: { defaultModelId: undefined, aliases: Object.fromEntries(Object.entries(DEMO_MODELS).map(([n, id]) => [n.toLowerCase(), id])) },
      keptResultsSeconds: undefined,
      inProcessEmulator: undefined,
      verify: undefined,
      ...options.settings,
    },
    connection: (settings) => {
      metrics = new Metrics(toolNames(settings).all);
      return {
        polling: FAST_POLLING,
        requestTimeoutMs: 5000,
        rateLimits: { postPerMinute: 100_000, getPerMinute: 100_000 },
        observe: metrics.observeAttempt,
        observeWait: metrics.observeWait,
        ...options.connection,
      };
    },
    log: {
      level: 'debug',
      secrets: [TEST_API_KEY],
      write: (line) => {
        logs.push(line);
        recordOutput('log', line);
        for (const w of [...watchers]) w(line);
      },
    },
  });
  const { connection } = runtime;
  const remote = await createRemoteServer({
    config: runtime.config,
    connection,
    serverKey: runtime.apiKey,
    files: runtime.files,
    settings: runtime.settings,
    makeLogger: options.wrapMakeLogger ? options.wrapMakeLogger(runtime.makeLogger) : runtime.makeLogger,
    metrics,
    clock: options.clock,
    maxUploadBytes: options.maxUploadBytes,
    uploadLimits: options.uploadLimits,
    keptUploadLimits: options.keptUploadLimits,
    createUploadFile: options.createUploadFile,
  });
  listener.serve(remote.app, remote);
  const url = listener.url;
  const clients: Client[] = [];

  return {
    url,
    mcpUrl: `${url}/mcp`,
    emulator,
    connection,
    remote,
    listener,
    metrics,
    config,
    logs,
    nextLog(match) {
      return new Promise((resolve) => {
        const watch = (line: string) => {
          if (!match(line)) return;
          watchers.delete(watch);
          resolve(line);
        };
        watchers.add(watch);
      });
    },
    async fetch(path, init = {}) {
      const res = await request(`${url}${path}`, { method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body });
      const text = await res.body.text();
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      recordOutput(`HTTP ${path}`, text);
      recordOutput(`HTTP ${path} headers`, [...headers.entries()]);
      return { status: res.statusCode, headers, text, json: () => JSON.parse(text) };
    },
    async client(headers = {}) {
      const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } });
      const client = new Client({ name: 'http-test', version: '1.0.0' });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) await c.close().catch(() => undefined);
      await listener.shutdown(1000);
      await remote.close();
      await runtime.close();
      if (!options.sharedEmulator) await emulator.close();
    },
  };
}

export { callTool } from './harness.js';

/** A raw JSON-RPC POST to /mcp. */
export function rpc(method: string, params: Record<string, unknown> = {}, id: number | null = 1): string {
  return JSON.stringify(id === null ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', id, method, params });
}

export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export async function tempDir(): Promise<{ dir: string; close(): Promise<void> }> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'mindee-mcp-http-')));
  return { dir, close: () => rm(dir, { recursive: true, force: true }) };
}
