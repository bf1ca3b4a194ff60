/**
 * createServer(deps, options) → one MCP server (the v2 SDK's low-level `Server`) answering every
 * revision this server speaks: the 2025 era (2025-06-18, 2025-11-25, with `initialize`) and
 * 2026-07-28 (per request, after `server/discover`). It owns tools/list (made once per settings)
 * and tools/call: each call is checked, then made plainly or as a task (tasks.ts, both task
 * forms), and its outcome is reported through `options.onCall`. The kept results are served as
 * resources, and on a local connection of the 2025 era the allowed directories follow the
 * client's roots.
 */
import {
  ProtocolError,
  ProtocolErrorCode,
  Server,
  isInputRequiredResult,
  type CallToolRequest,
  type CallToolResult,
  type InputRequiredResult,
  type ListToolsResult,
  type ServerCapabilities,
  type Tool,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { MindeeError } from '../client/errors.js';
import { checkId } from '../client/mindee-client.js';
import { isNotFound, isProduct } from '../client/routes.js';
import { PRODUCTS, type Product } from '../client/schemas.js';
import { RootsFollower } from '../files/roots.js';
import { resourceUri } from '../results/inference.js';
import { DOCUMENT_URI_PREFIX, readDocument } from '../review/document.js';
import { REVIEW_VIEW_MIME, REVIEW_VIEW_URI, reviewViewHtml } from '../review/view.js';
import { clip, errorMessage, stripControl } from '../lib/text.js';
import { advertisedSchema, type ToolDeps, type ToolSettings } from '../tools/define.js';
import { errorText } from '../tools/hints.js';
import { createTools } from '../tools/index.js';
import { reviewedResult } from '../tools/review.js';
import { PACKAGE_NAME, VERSION } from '../version.js';
import { answerTo, ask, canAsk, personOf } from './ask.js';
import { TASKS_CAPABILITY, TASKS_EXTENSION, Tasks, taskFormOf } from './tasks.js';
import { callToolAsking, toolContext, type AnyTool, type Extra } from './tool-call.js';

const INSTRUCTIONS = `Extracts data from documents (invoices, receipts, IDs…) with Mindee.
1. No model id? search_models lists the account's models: pass a model's id (or a configured alias) as model_id and its type as product.
2. enqueue_document sends one document and waits for its result; enqueue_documents sends many at once.
3. Still processing when the wait ends? Call get_job_status with the job_id and wait_seconds, then get_inference_result with the inference_id; enqueue_documents gives the call that resumes it.
Documents are PDFs or images: a local file (file_path, file_paths) in the directories this server may read (save_to writes there too), a public https url, or file_base64 for small files only.
Options of both enqueue tools, for extraction only (omitted: the model's own setting, but polygon (field locations) and confidence are on unless false): rag, raw_text (each page's text), polygon, confidence, text_context, and data_schema {"replace": {"fields": [{name, title, is_array, type, description, guidelines}]}} for other fields than the model's.
Reading a result: detail "values" (default), "confidence" (each value with its confidence) or "full" (also locations, polygons, OCR words); fields as dotted paths through objects and lists, e.g. ["total_amount", "line_items.description"]; pages ("3", "1-5", "6-") for raw text and OCR. Past max_chars an answer ends with the exact call for the next part. Full JSON: the mindee://inferences/{id} resource.
Every extraction has a review: verdict accept, or needs_review with issues (sums, taxes, dates, IBAN, VAT, currency, missing values, confidence below min_confidence), each with its field path, page and box. Act on accepted results; show a person the issues of the others (review_result shows them the flagged values and keeps their decisions; it also records decisions they gave you). checks: false skips it.
save_to ending in .csv or .jsonl writes a table: one row per item of the list fields names (["invoice_number", "line_items"]), else one row; for enqueue_documents, one row per document.`;

/**
 * JSON-RPC error of resources/read for an unknown resource: -32602 with the `uri` in its data, as
 * 2026-07-28 says (the SDK sends the older -32002 as -32602 in every era; clients accept both).
 */
const RESOURCE_NOT_FOUND = ProtocolErrorCode.InvalidParams;

/** How a tool call ended, as logs and metrics count it. */
export type CallOutcome = 'ok' | 'error' | 'cancelled' | 'protocol_error';

export interface ServeOptions {
  /** The protocol era this instance serves (the serving entries say; a directly connected server is 2025-era). */
  era?: 'legacy' | 'modern';
  /** Hears the outcome of every tools/call this instance answers. */
  onCall?: (tool: string, outcome: CallOutcome) => void;
  /** Stops this instance's calls early (a time-out, a shutdown): each answers with the reason's message. */
  signal?: AbortSignal;
}

/**
 * What is made once per settings: a stateless HTTP server makes a server per request. The
 * tools/list answer (every schema converted to JSON Schema, tens of milliseconds) is made on the
 * first tools/list, not at start: a host's spawn gets its initialize answer sooner.
 */
interface Catalogue {
  tools: ReadonlyMap<string, { tool: AnyTool; input: z.ZodObject }>;
  readonly list: ListToolsResult;
}
const catalogues = new WeakMap<ToolSettings, Catalogue>();

function catalogueOf(settings: ToolSettings): Catalogue {
  let made = catalogues.get(settings);
  if (made) return made;
  const tools = createTools(settings) as readonly AnyTool[];
  const definition = (tool: AnyTool): Tool => ({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: z.toJSONSchema(advertisedSchema(tool.inputSchema), { target: 'draft-7', io: 'input' }) as Tool['inputSchema'],
    outputSchema: z.toJSONSchema(advertisedSchema(tool.outputSchema), { target: 'draft-7', io: 'output' }),
    annotations: { title: tool.title, ...tool.annotations },
    ...(tool.execution ? { execution: tool.execution } : {}),
    ...(tool._meta ? { _meta: tool._meta } : {}),
  });
  let list: ListToolsResult | undefined;
  made = {
    tools: new Map(tools.map((tool) => [tool.name, { tool, input: z.object(tool.inputSchema) }])),
    get list() {
      list ??= { tools: tools.map(definition) };
      return list;
    },
  };
  catalogues.set(settings, made);
  return made;
}

export function createServer(deps: ToolDeps, options: ServeOptions = {}): Server {
  const era = options.era ?? 'legacy';
  // The tools are made on the first request that needs them, not before initialize is answered.
  const catalogue = { get list() { return catalogueOf(deps.settings).list; }, get tools() { return catalogueOf(deps.settings).tools; } };
  // The 2025 tasks are a capability of their own; 2026-07-28 has them as an extension.
  const capabilities: ServerCapabilities =
    era === 'legacy' ? { tools: {}, resources: {}, tasks: TASKS_CAPABILITY } : { tools: {}, resources: {}, extensions: { [TASKS_EXTENSION]: {} } };
  const server = new Server({ name: PACKAGE_NAME, title: 'Mindee document extraction', version: VERSION }, { capabilities, instructions: INSTRUCTIONS });
  const tasks = new Tasks(deps, era, (notification) => server.notification(notification));

  server.setRequestHandler('tools/list', () => catalogue.list);
  const stop = options.signal;
  /** The request's context, cancelled also when the instance is stopped. */
  const stoppable = (extra: Extra): Extra => (stop ? { ...extra, mcpReq: { ...extra.mcpReq, signal: AbortSignal.any([extra.mcpReq.signal, stop]) } } : extra);
  const stopped = () => new ProtocolError(-32000, errorMessage(stop?.reason));
  server.setRequestHandler('tools/call', async (request, extra) => {
    const name = request.params.name;
    const report = (outcome: CallOutcome) => options.onCall?.(clip(name, 64), outcome);
    try {
      const result = await answerCall(request, stoppable(extra));
      if (stop?.aborted) throw stopped();
      if (isInputRequiredResult(result)) return result;
      report(result.isError === true ? 'error' : extra.mcpReq.signal.aborted ? 'cancelled' : 'ok');
      return result;
    } catch (error) {
      report(stop?.aborted || extra.mcpReq.signal.aborted ? 'cancelled' : 'protocol_error');
      throw stop?.aborted ? stopped() : error;
    }
  });

  // A local 2026-07-28 connection has no roots/list request: the roots are asked with the first
  // call that reads or writes a local file, and again after the client says they changed.
  const askRoots = era === 'modern' && !deps.remote;
  let rootsKnown = false;
  let follower: RootsFollower | undefined;
  if (askRoots) {
    server.setNotificationHandler('notifications/roots/list_changed', () => {
      rootsKnown = false;
    });
  }

  async function answerCall(request: CallToolRequest, extra: Extra): Promise<CallToolResult | InputRequiredResult> {
    const { name } = request.params;
    const entry = catalogue.tools.get(name);
    if (!entry) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${clip(name, 80)}. The tools are ${[...catalogue.tools.keys()].join(', ')}.`);
    }
    const form = taskFormOf(request, extra, era);
    if (form.asked && !entry.tool.execution) {
      throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `${clip(name, 80)} does not run as a task (its execution.taskSupport is not "optional"): call it without "task".`);
    }
    const parsed = await entry.input.safeParseAsync(request.params.arguments ?? {});
    if (!parsed.success) {
      const message = `Input validation error: Invalid arguments for tool ${name}: ${clip(z.prettifyError(parsed.error), 2000)}`;
      if (form.asked) throw new ProtocolError(ProtocolErrorCode.InvalidParams, message);
      return { isError: true, content: [{ type: 'text', text: message }] };
    }
    const args = parsed.data;
    const local = LOCAL_FILE_ARGUMENTS.some((name) => args[name] !== undefined);
    // A 2025 client's roots are read once it has connected: a call right after waits for that first list.
    if (local && follower) await follower.firstList();
    if (askRoots && !rootsKnown && local && canAsk(extra, undefined, 'roots')) {
      const answer = answerTo(extra, 'roots');
      if (answer.kind !== 'roots') return ask({ roots: { kind: 'roots' } });
      await deps.files.setRoots(answer.roots);
      rootsKnown = true;
      deps.log.info(`allowed directories: ${deps.files.directories().join(', ') || '(none)'}`);
    }
    if (entry.tool.execution && form.allowed) return tasks.call(entry.tool, args, extra, form);
    // Only a plain call can put a form to the person: a task runs on when the call has answered.
    return callToolAsking(entry.tool, args, deps, { ...toolContext(extra, deps), person: personOf(extra, era === 'legacy' ? server.getClientCapabilities() : undefined) });
  }

  tasks.install(server, stoppable);
  registerResults(server, deps);
  // A remote caller's roots name directories of its own machine, not of the server's.
  if (!deps.remote && era === 'legacy') follower = syncRoots(server, deps);
  return server;
}

/** Arguments that name files on this machine: a call with one needs the client's roots. */
const LOCAL_FILE_ARGUMENTS = ['file_path', 'file_paths', 'save_to'];

const RESULT_URI = /^mindee:\/\/inferences\/([^/?#]*)(?:\?([^#]*))?$/;

/** mindee://inferences/{inference_id}: the full JSON of a result, kept or from the API. */
function registerResults(server: Server, deps: ToolDeps): void {
  server.setRequestHandler('resources/list', async () => ({
    // The kept results only: the review view (ui://) is found from the tool that declares it.
    resources: [
      ...(await deps.client.results.list()).map(({ inferenceId, meta }) => {
        const product = meta.product ?? undefined;
        return {
          uri: resourceUri(inferenceId, isProduct(product) ? product : null),
          name: deps.client.redact(stripControl(`Mindee result ${clip(inferenceId, 80)}${meta.fileName ? ` (${clip(meta.fileName, 120)})` : ''}`)),
          mimeType: 'application/json',
        };
      }),
    ],
  }));
  server.setRequestHandler('resources/templates/list', () => ({
    resourceTemplates: [
      {
        uriTemplate: 'mindee://inferences/{inference_id}',
        name: 'inference-result',
        title: 'Mindee result (full JSON)',
        description: 'The complete result of a processed document, as the Mindee v2 API returns it, with its review. ?product=classification|crop|ocr|split names the product of other results (else it is looked for).',
        mimeType: 'application/json',
      },
      {
        uriTemplate: `${DOCUMENT_URI_PREFIX}{inference_id}`,
        name: 'inference-document',
        title: 'The document of a result',
        description: 'The PDF or image a result was made from, when this server may read it (an allowed file), for its owner only.',
      },
    ],
  }));
  server.setRequestHandler('resources/read', async (request) => {
    const uri = request.params.uri;
    const notFound = () =>
      new ProtocolError(
        RESOURCE_NOT_FOUND,
        `Resource not found: ${clip(uri, 200)} is not the URI of a Mindee result (mindee://inferences/{id}, with ?product=${PRODUCTS.slice(1).join('|')} for those products).`,
        { uri },
      );
    if (uri === REVIEW_VIEW_URI) return { contents: [{ uri, mimeType: REVIEW_VIEW_MIME, text: await reviewViewHtml() }] };
    const document = DOCUMENT_URI.exec(uri);
    if (document) return readDocumentResource(uri, document[1]!, deps);
    const match = RESULT_URI.exec(uri);
    if (!match) throw notFound();
    let inferenceId: string;
    const asked = new URLSearchParams(match[2] ?? '').get('product');
    try {
      inferenceId = decodeURIComponent(match[1]!);
      checkId(inferenceId, 'inference_id');
      if (asked !== null && !isProduct(asked)) throw new Error('unknown product');
    } catch {
      throw notFound();
    }
    // A result this process has not kept or seen (a new process, another replica): the URI's
    // product, else the one known, else each product's route in turn until one has it.
    const product = asked !== null && isProduct(asked) ? asked : await deps.client.knownProduct(inferenceId);
    const candidates: readonly Product[] = product ? [product] : PRODUCTS;
    let failure: MindeeError | undefined;
    for (const candidate of candidates) {
      try {
        // The reviewed values (Mindee's own in each decision's `from`) and the verdict beside them (none for OCR).
        const { inference, review, decisions } = await reviewedResult(await deps.client.getResult({ inferenceId, product: candidate }), {}, deps);
        const body = {
          inference,
          ...(review ? { review: review.review, ...(review.nested.length ? { nested_reviews: review.nested } : {}) } : {}),
          ...(decisions.length ? { reviewed: review?.reviewed ?? true, decisions } : {}),
        };
        return { contents: [{ uri, mimeType: 'application/json', text: deps.client.redact(stripControl(JSON.stringify(body, null, 2))) }] };
      } catch (error) {
        if (!(error instanceof MindeeError)) throw error;
        failure = error;
        if (!isNotFound(error)) break;
      }
    }
    const missing = isNotFound(failure!);
    const where = missing && !product ? ` No product's result route (${PRODUCTS.join(', ')}) has it.` : '';
    throw new ProtocolError(missing ? RESOURCE_NOT_FOUND : ProtocolErrorCode.InternalError, deps.client.redact(stripControl(`${errorText(failure!, deps.settings)}${where}`)), { uri });
  });
}

const DOCUMENT_URI = /^mindee:\/\/documents\/([^/?#]+)$/;

/** mindee://documents/{inference_id}: the document's bytes, to the result's owner only. */
async function readDocumentResource(uri: string, encoded: string, deps: ToolDeps) {
  let inferenceId: string;
  try {
    inferenceId = decodeURIComponent(encoded);
    checkId(inferenceId, 'inference_id');
  } catch {
    throw new ProtocolError(RESOURCE_NOT_FOUND, `Resource not found: ${clip(uri, 200)} does not name an inference id (mindee://documents/{inference_id}).`, { uri });
  }
  try {
    const { mimeType, bytes } = await readDocument(inferenceId, deps);
    return { contents: [{ uri, mimeType, blob: bytes.toString('base64') }] };
  } catch (error) {
    const text = error instanceof MindeeError ? errorText(error, deps.settings) : errorMessage(error);
    throw new ProtocolError(RESOURCE_NOT_FOUND, deps.client.redact(stripControl(`No document for ${clip(inferenceId, 80)}: ${text}`)), { uri });
  }
}


/** Directories the client exposes as MCP roots may be read, and follow its changes. */
function syncRoots(server: Server, deps: ToolDeps): RootsFollower {
  const follower = new RootsFollower(
    deps.files,
    async () => (await server.listRoots()).roots,
    (error) => {
      if (error === null) deps.log.info(`allowed directories: ${deps.files.directories().join(', ') || '(none)'}`);
      else deps.log.warn(`could not read the client's roots: ${errorMessage(error)}`);
    },
  );
  const refresh = () => {
    if (server.getClientCapabilities()?.roots) follower.changed();
  };
  server.oninitialized = refresh;
  server.setNotificationHandler('notifications/roots/list_changed', refresh);
  return follower;
}
