/**
 * createServer(deps) → an McpServer with every tool registered (each call made by tool-call.ts;
 * the long ones may also run as MCP tasks, tasks.ts), the kept results served as resources,
 * and the allowed directories kept in step with the client's roots.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError, RootsListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { MindeeError } from './client/errors.js';
import { checkId } from './client/mindee-client.js';
import { RootsFollower } from './files/roots.js';
import { resourceUri } from './results/inference.js';
import { TASKS_CAPABILITY, enableToolTasks, sdkTaskStore } from './tasks.js';
import { clip } from './text.js';
import { callTool, toolContext, type AnyTool, type Extra } from './tool-call.js';
import type { ToolDeps } from './tools/define.js';
import { errorText } from './tools/hints.js';
import { createTools } from './tools/index.js';
import { PACKAGE_NAME, VERSION } from './version.js';

export const INSTRUCTIONS = `Extracts data from documents (invoices, receipts, IDs…) with Mindee.
1. No model id? search_models lists the account's models (id, name, type); aliases such as "invoice" may be configured.
2. enqueue_document with model_id, product (the model's type) and one of file_path / url / file_base64. It waits for the result by default.
3. If it says the job is still processing, call get_job_status with the job_id and wait_seconds, then get_inference_result with the inference_id.
Read only what you need with fields, pages and detail; a long result ends with the exact call for the next part. Full JSON: the mindee://inferences/{id} resource.
Local files must be inside the directories the server may read; otherwise pass a public https url.`;

/** JSON-RPC error of resources/read for an unknown resource (MCP spec). */
export const RESOURCE_NOT_FOUND = -32002;

export function createServer(deps: ToolDeps): McpServer {
  // The tools capability is declared by the first registration, after enableToolTasks.
  const server = new McpServer(
    { name: PACKAGE_NAME, title: 'Mindee document extraction', version: VERSION },
    { capabilities: { resources: {}, tasks: TASKS_CAPABILITY }, taskStore: sdkTaskStore(deps), instructions: INSTRUCTIONS },
  );
  const tools: readonly AnyTool[] = createTools(deps.settings);
  enableToolTasks(server, tools, deps);
  for (const tool of tools) registerTool(server, tool, deps);
  registerResults(server, deps);
  syncRoots(server, deps);
  return server;
}

function registerTool(server: McpServer, tool: AnyTool, deps: ToolDeps): void {
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
    (args, extra: Extra) => callTool(tool, args, deps, toolContext(extra, deps)),
  );
}

/** mindee://inferences/{inference_id}: the full JSON of a result, kept or from the API. */
function registerResults(server: McpServer, deps: ToolDeps): void {
  const template = new ResourceTemplate('mindee://inferences/{inference_id}', {
    list: async () => ({
      resources: (await deps.client.results.list()).map(({ inferenceId, meta }) => ({
        uri: resourceUri(inferenceId),
        name: deps.client.redact(`Mindee result ${clip(inferenceId, 80)}${meta.fileName ? ` (${clip(meta.fileName, 120)})` : ''}`),
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
      let inferenceId: string;
      try {
        inferenceId = decodeURIComponent(Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? ''));
        checkId(inferenceId, 'inference_id');
      } catch {
        throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${clip(uri.href, 200)} is not the URI of a Mindee result.`, { uri: uri.href });
      }
      try {
        const product = (await deps.client.knownProduct(inferenceId)) ?? undefined;
        const inference = await deps.client.getResult({ inferenceId, product });
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: deps.client.redact(JSON.stringify({ inference }, null, 2)) }] };
      } catch (error) {
        if (!(error instanceof MindeeError)) throw error;
        const notFound = error.code === 'api_error' && 'status' in error && error.status === 404;
        throw new McpError(notFound ? RESOURCE_NOT_FOUND : -32603, deps.client.redact(errorText(error, deps.settings)), { uri: uri.href });
      }
    },
  );
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
