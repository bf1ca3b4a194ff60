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
import { clip, errorMessage } from './text.js';
import { callTool, toolContext, type AnyTool, type Extra } from './tool-call.js';
import { advertisedSchema, type ToolDeps, type ToolSettings } from './tools/define.js';
import { errorText } from './tools/hints.js';
import { createTools } from './tools/index.js';
import { reviewFor } from './tools/review.js';
import { PACKAGE_NAME, VERSION } from './version.js';

export const INSTRUCTIONS = `Extracts data from documents (invoices, receipts, IDs…) with Mindee.
1. No model id? search_models lists the account's models: pass a model's id (or a configured alias) as model_id and its type as product.
2. enqueue_document sends one document and waits for its result; enqueue_documents sends many at once.
3. Still processing when the wait ends? Call get_job_status with the job_id and wait_seconds, then get_inference_result with the inference_id; enqueue_documents gives the call that resumes it.
Documents are PDFs or images: a local file (file_path, file_paths) in the directories this server may read (save_to writes there too), a public https url, or file_base64 for small files only.
Options of both enqueue tools, for extraction only (omitted: the model's own setting, but polygon (field locations) and confidence are on unless false): rag, raw_text (each page's text), polygon, confidence, text_context, and data_schema {"replace": {"fields": [{name, title, is_array, type, description, guidelines}]}} for other fields than the model's.
Reading a result: detail "values" (default), "confidence" (each value with its confidence) or "full" (also locations, polygons, OCR words); fields as dotted paths through objects and lists, e.g. ["total_amount", "line_items.description"]; pages ("3", "1-5", "6-") for raw text and OCR. Past max_chars an answer ends with the exact call for the next part. Full JSON: the mindee://inferences/{id} resource.
Every extraction has a review: verdict accept, or needs_review with issues (sums, taxes, dates, IBAN, VAT, currency, missing values, confidence below min_confidence), each with its field path, page and box. Act on accepted results; show a person the issues of the others. checks: false skips it.
save_to ending in .csv or .jsonl writes a table: one row per item of the list fields names (["invoice_number", "line_items"]), else one row; for enqueue_documents, one row per document.`;

/** JSON-RPC error of resources/read for an unknown resource (MCP spec). */
export const RESOURCE_NOT_FOUND = -32002;

/** The tools of one set of settings, made once: a stateless HTTP server makes a server per request. */
const madeTools = new WeakMap<ToolSettings, ReturnType<typeof createTools>>();
function toolsOf(settings: ToolSettings): ReturnType<typeof createTools> {
  let tools = madeTools.get(settings);
  if (!tools) madeTools.set(settings, (tools = createTools(settings)));
  return tools;
}

export function createServer(deps: ToolDeps): McpServer {
  // The tools capability is declared by the first registration, after enableToolTasks.
  const server = new McpServer(
    { name: PACKAGE_NAME, title: 'Mindee document extraction', version: VERSION },
    { capabilities: { resources: {}, tasks: TASKS_CAPABILITY }, taskStore: sdkTaskStore(deps), instructions: INSTRUCTIONS },
  );
  const tools: readonly AnyTool[] = toolsOf(deps.settings);
  enableToolTasks(server, tools, deps);
  for (const tool of tools) registerTool(server, tool, deps);
  registerResults(server, deps);
  // A remote caller's roots name directories of its own machine, not of the server's.
  if (!deps.remote) syncRoots(server, deps);
  return server;
}

function registerTool(server: McpServer, tool: AnyTool, deps: ToolDeps): void {
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: advertisedSchema(tool.inputSchema),
      outputSchema: advertisedSchema(tool.outputSchema),
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
      description: 'The complete result of a processed document, as the Mindee v2 API returns it, with its review.',
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
        // The verdict beside the result as Mindee gave it (none for OCR).
        const review = await reviewFor(inference, {}, deps);
        const body = review ? { inference, review: review.review, ...(review.nested.length ? { nested_reviews: review.nested } : {}) } : { inference };
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: deps.client.redact(JSON.stringify(body, null, 2)) }] };
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
      else deps.log.warn(`could not read the client's roots: ${errorMessage(error)}`);
    },
  );
  const refresh = () => {
    if (inner.getClientCapabilities()?.roots) follower.changed();
  };
  inner.oninitialized = refresh;
  inner.setNotificationHandler(RootsListChangedNotificationSchema, refresh);
}
