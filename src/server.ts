/**
 * createServer(deps) → an McpServer with every tool registered. It turns tool outcomes into
 * MCP results (text + structured content, or an isError text), plumbs progress and
 * cancellation, and keeps the allowed directories in step with the client's roots.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { RootsListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MindeeError } from './client/errors.js';
import { RootsFollower } from './files/roots.js';
import type { ToolContext, ToolDefinition, ToolDeps } from './tools/define.js';
import { tools as allTools } from './tools/index.js';
import { resourceUri } from './results/inference.js';
import { PACKAGE_NAME, VERSION } from './version.js';

export const INSTRUCTIONS = `Extracts data from documents (invoices, receipts, IDs…) with Mindee.
1. No model id? search_models lists the account's models (id, name, type); aliases such as "invoice" may be configured.
2. enqueue_document with model_id, product (the model's type) and one of file_path / url / file_base64. It waits for the result by default.
3. If it says the job is still processing, call get_job_status with the job_id and wait_seconds, then get_inference_result with the inference_id.
Read only what you need with fields, pages and detail; a long result ends with the exact call for the next part. Full JSON: the mindee://inferences/{id} resource.
Local files must be inside the directories the server may read; otherwise pass a public https url.`;

type Extra = {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification: (n: { method: 'notifications/progress'; params: Record<string, unknown> }) => Promise<void>;
};

export function createServer(deps: ToolDeps, options: { tools?: ToolDefinition[] } = {}): McpServer {
  const server = new McpServer(
    { name: PACKAGE_NAME, title: 'Mindee document extraction', version: VERSION },
    { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS },
  );

  for (const tool of options.tools ?? allTools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: { title: tool.title, ...tool.annotations },
        ...(tool._meta ? { _meta: tool._meta } : {}),
      },
      (async (args: unknown, extra: Extra): Promise<CallToolResult> => {
        const ctx = toolContext(extra, deps);
        try {
          const out = await tool.run(args as never, deps, ctx);
          return redactResult(
            { content: [{ type: 'text', text: out.text }, ...(out.links ?? [])], structuredContent: out.structured as Record<string, unknown> },
            deps,
          );
        } catch (error) {
          return errorResult(error, tool.name, deps);
        }
      }) as never,
    );
  }

  registerResults(server, deps);
  syncRoots(server, deps);
  return server;
}

/** mindee://inferences/{inference_id}: the full JSON of a result, from the cache or the API. */
function registerResults(server: McpServer, deps: ToolDeps): void {
  const template = new ResourceTemplate('mindee://inferences/{inference_id}', {
    list: async () => ({
      resources: deps.client.results.list().map((inference) => ({
        uri: resourceUri(inference.id),
        name: `Mindee result ${inference.id}${inference.file?.name ? ` (${inference.file.name})` : ''}`,
        mimeType: 'application/json',
      })),
    }),
  });
  server.registerResource(
    'inference-result',
    template,
    {
      title: 'Mindee result (full JSON)',
      description: 'The complete result of a processed document, as the Mindee v2 API returns it.',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const raw = variables.inference_id;
      const inferenceId = decodeURIComponent(Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? ''));
      try {
        const product = deps.client.knownProduct(inferenceId) ?? undefined;
        const inference = await deps.client.getResult({ inferenceId, product });
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: deps.client.redact(JSON.stringify({ inference }, null, 2)) }] };
      } catch (error) {
        const message = error instanceof MindeeError ? [error.message, error.hint].filter(Boolean).join(' ') : String(error);
        throw new Error(deps.client.redact(message));
      }
    },
  );
}

function toolContext(extra: Extra, deps: ToolDeps): ToolContext {
  const token = extra._meta?.progressToken;
  let last = -Infinity;
  return {
    signal: extra.signal,
    progress(progress, total, message) {
      if (token === undefined || extra.signal.aborted || progress <= last) return;
      last = progress;
      extra
        .sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress, ...(total === undefined ? {} : { total }), message: deps.client.redact(message) },
        })
        .catch((error: unknown) => deps.log.debug(`progress notification not sent: ${String(error)}`));
    },
  };
}

/** An isError result that says what failed and what to do next; bugs are logged in full. */
export function errorResult(error: unknown, toolName: string, deps: ToolDeps): CallToolResult {
  let text: string;
  if (error instanceof MindeeError) {
    text = error.hint ? `${error.message}\n${error.hint}` : error.message;
    deps.log.debug(`${toolName}: ${error.name}: ${error.message}`);
  } else {
    deps.log.error(`unexpected error in ${toolName}`, error);
    const message = error instanceof Error ? error.message : String(error);
    text = `mindee-mcp hit an unexpected internal error in ${toolName}: ${message}. The details are in the server's log (stderr); please report it.`;
  }
  return { isError: true, content: [{ type: 'text', text: deps.client.redact(text) }] };
}

/** The API may echo anything back; the key must never reach the model. */
function redactResult(result: CallToolResult, deps: ToolDeps): CallToolResult {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return deps.client.redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [deps.client.redact(k), walk(x)]));
    return v;
  };
  return walk(result) as CallToolResult;
}

/** Directories the client exposes as MCP roots may be read, and follow its changes. */
function syncRoots(server: McpServer, deps: ToolDeps): void {
  const inner = server.server;
  const follower = new RootsFollower(
    deps.files,
    async () => (await inner.listRoots()).roots,
    (error) => {
      if (error === null) deps.log.info(`allowed directories: ${deps.files.directories().join(', ') || '(none)'}`);
      else deps.log.warn(`could not read the client's roots: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  const refresh = () => {
    if (inner.getClientCapabilities()?.roots) follower.changed();
  };
  inner.oninitialized = refresh;
  inner.setNotificationHandler(RootsListChangedNotificationSchema, refresh);
}
