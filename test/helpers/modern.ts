/**
 * Clients of protocol revision 2026-07-28 for the tests: the v2 SDK `Client` pinned to it (or in
 * legacy mode), and the tasks extension's own client (`@modelcontextprotocol/ext-tasks`) over a
 * raw HTTP path, since the SDK's wire codec refuses a `resultType: "task"` answer. Every answer
 * goes through the secret scan.
 */
import { Client, StreamableHTTPClientTransport, type CallToolResult, type Progress } from '@modelcontextprotocol/client';
import { StdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/client/stdio';
import { createTaskSessionFromClient, type RawClientDispatch } from '@modelcontextprotocol/ext-tasks/client';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { recordOutput } from '../setup/secrets.js';

export const MODERN = '2026-07-28';
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
const CLIENT_INFO = { name: 'modern-test', version: '1.0.0' };

export type Era = 'modern' | 'legacy';

export interface ClientOptions {
  /** Declares the tasks extension. */
  tasks?: boolean;
  /** Declares roots and answers roots/list with these directories. */
  roots?: string[];
  /** Declares elicitation and answers each form with this. */
  elicit?: (message: string) => { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, string | number | boolean> };
}

/** A v2 SDK client, pinned to 2026-07-28 ('modern') or speaking the 2025 handshake ('legacy'). */
function v2Client(era: Era, options: ClientOptions = {}): Client {
  const client = new Client(CLIENT_INFO, {
    versionNegotiation: { mode: era === 'modern' ? { pin: MODERN } : 'legacy' },
    capabilities: {
      ...(options.tasks ? { extensions: { [TASKS_EXTENSION]: {} } } : {}),
      ...(options.roots ? { roots: {} } : {}),
      ...(options.elicit ? { elicitation: { form: {} } } : {}),
    },
  });
  const { roots, elicit } = options;
  if (roots) client.setRequestHandler('roots/list', () => ({ roots: roots.map((dir) => ({ uri: pathToFileURL(dir).href, name: dir })) }));
  if (elicit) client.setRequestHandler('elicitation/create', (request) => elicit(request.params.message));
  return client;
}

export async function connectHttp(url: string, era: Era, headers: Record<string, string> = {}, options: ClientOptions = {}): Promise<Client> {
  const client = v2Client(era, options);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
  return client;
}

export async function connectStdio(params: StdioServerParameters, era: Era, options: ClientOptions = {}): Promise<Client> {
  const client = v2Client(era, options);
  await client.connect(new StdioClientTransport({ ...params, stderr: params.stderr ?? 'pipe' }));
  return client;
}

/** Calls a tool with a v2 client, recording what comes back for the secret scan. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  options: { onprogress?: (p: Progress) => void; signal?: AbortSignal } = {},
): Promise<CallToolResult> {
  const result = await client.callTool({ name, arguments: args }, { onprogress: options.onprogress, signal: options.signal, timeout: 15_000 });
  recordOutput(`${name} result`, result);
  return result;
}

/** The raw 2026-07-28 request path over HTTP the tasks client needs: one POST per request, its JSON or SSE answer read. */
function httpDispatch(url: string, headers: Record<string, string> = {}): RawClientDispatch {
  let ids = 0;
  return async (message, options) => {
    const rpc = message as { method?: string; params?: { name?: string; taskId?: string; uri?: string } };
    const name = rpc.params?.name ?? rpc.params?.taskId ?? rpc.params?.uri;
    const res = await request(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': rpc.method ?? '',
        ...(name === undefined ? {} : { 'mcp-name': name }),
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: `raw-${++ids}`, ...(message as object) }),
      signal: options?.signal,
    });
    const text = await res.body.text();
    recordOutput('raw answer', text);
    const type = String(res.headers['content-type'] ?? '');
    const json = type.startsWith('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>)
          .find((m) => 'result' in m || 'error' in m)
      : (JSON.parse(text) as Record<string, unknown>);
    if (!json) throw new Error(`no answer in: ${text.slice(0, 200)}`);
    return 'error' in json ? { kind: 'error', error: json.error as never } : { kind: 'result', result: json.result as never };
  };
}

/** A tasks-extension session over HTTP for a client that declares the extension. */
export async function taskSession(url: string, headers: Record<string, string> = {}) {
  const client = await connectHttp(url, 'modern', headers, { tasks: true });
  const session = createTaskSessionFromClient(client, {
    endpointId: url,
    rawDispatch: httpDispatch(url, headers),
    v2RequestFraming: { protocolVersion: MODERN, clientInfo: CLIENT_INFO, clientCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
  });
  return { client, session };
}
