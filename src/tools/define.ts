/**
 * What a tool is: a name, a description written for a model, zod input and output schemas,
 * all four annotations (required by the type, so no tool forgets one), and a `run` that
 * returns text plus structured content or throws. A tool is made from the server's settings,
 * so its description states the configured defaults. Tools know nothing of HTTP.
 */
import { z } from 'zod';
import type { MindeeClient } from '../client/mindee-client.js';
import type { DocumentSource } from '../client/types.js';
import type { FileAccess } from '../files/file-access.js';
import type { Logger } from '../log.js';
import { leaveOutOfJsonSchema } from '../results/shapes.js';
import type { ModelSettings } from './models.js';
import type { ConfidenceLevel, RuleSet } from '../verify/index.js';

/** The settings of verified results (MINDEE_MCP_MIN_CONFIDENCE, _RULES, _CONFIDENCE, _POLYGON). */
export interface VerifySettings {
  minConfidence: ConfidenceLevel;
  rules: RuleSet | null;
  /** Extraction enqueues ask for confidences unless the call says otherwise. */
  confidence: boolean;
  /** …and for locations. */
  polygon: boolean;
}

interface ToolAnnotationsRequired {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** The settings tools read, from config.ts. */
export interface ToolSettings {
  /** Default blocking wait, seconds. */
  maxWaitSeconds: number;
  /** Gap between progress notifications while waiting, ms. */
  heartbeatMs: number;
  /** Default size budget of a result, characters. */
  maxResultChars: number;
  models: ModelSettings;
  /** The server serves remote callers (HTTP): the tools take uploads. */
  remote?: boolean;
  /** Each caller sends their own Mindee key (HTTP, mindee-key mode): a refused key is theirs to fix. */
  callerKeys?: boolean;
  /** How long kept results stay, seconds (MINDEE_MCP_CACHE_TTL): no task outlives them. */
  keptResultsSeconds?: number;
  /** The API is an emulator inside this process, whose jobs die with it (`--emulator`). */
  inProcessEmulator?: boolean;
  /** Verified results: threshold, rules file, and the options extraction enqueues send (default: High, none, both on). */
  verify?: VerifySettings;
}

/** Everything a tool may use, handed in by createServer so tests can pass fakes. */
export interface ToolDeps {
  client: MindeeClient;
  files: FileAccess;
  log: Logger;
  settings: ToolSettings;
  /** Set when the server is remote (HTTP), per request: the caller's disk is not the server's. */
  remote?: RemoteAccess;
}

/** A document a tool is about to send, and what becomes of it once the enqueue is over: an upload is kept for its review once sent, deleted otherwise. */
export interface DocumentToSend {
  source: DocumentSource;
  settle: (sent: boolean) => Promise<void>;
}

/** What a remote server lets the tools of one request do. */
interface RemoteAccess {
  /** Local files may be read: allowed directories were configured explicitly (a mounted volume). */
  localFiles: boolean;
  /** Claims an upload of this caller for one enqueue, under its own name or `filename` (once; throws MindeeInputError when it cannot be used). */
  claimUpload(uploadId: string, filename?: string): Promise<DocumentToSend>;
  /** The file of a sent upload kept for this caller's review, or why there is none. */
  keptUpload(uploadId: string): Promise<{ path: string } | { reason: string }>;
}

/** A flat form for the person in front of the host: each property a string, number or boolean (with a default where one helps). */
interface FormQuestion {
  /** Names the form among the rounds of one call: its answer comes back under it. */
  key: string;
  message: string;
  schema: z.ZodObject;
}

/** What the person did with a form. */
export interface FormAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

/**
 * The person in front of the host, as far as this call can reach them. The serving layer
 * (src/mcp) says what the host can do; a tool asks by returning `{ ask }` and runs again with the
 * answer, whatever the protocol era.
 */
export interface Person {
  /** The host renders MCP Apps views (it declared the io.modelcontextprotocol/ui extension with the mcp-app HTML type). */
  rendersViews: boolean;
  /** The host shows forms (elicitation) on this call. */
  canAskForm: boolean;
  /** The answer to the form `key`, when this run of the call carries it. */
  answer(key: string): FormAnswer | undefined;
}

export interface ToolContext {
  /** Who can be asked, for the calls that may ask (plain calls; never tasks). */
  person?: Person;
  signal: AbortSignal;
  /** Sends a progress notification when the caller asked for them; `progress` only grows, never past `total`. */
  progress(progress: number, total: number | undefined, message: string): void;
}

export interface ResourceLink {
  type: 'resource_link';
  uri: string;
  name: string;
  mimeType?: string;
  description?: string;
}

interface ToolOutput<S> {
  text: string;
  structured: S;
  links?: ResourceLink[];
}

/** A tool's answer that asks the person first (ctx.person.canAskForm): the call runs again with the answer. */
interface AskOutput {
  ask: FormQuestion;
}

export interface ToolDefinition<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotationsRequired;
  /** Set on tools whose calls may run as MCP tasks (the same `run`, answered through tasks/result). */
  execution?: { taskSupport: 'optional' };
  _meta?: Record<string, unknown>;
  run(args: z.output<z.ZodObject<I>>, deps: ToolDeps, ctx: ToolContext): Promise<ToolOutput<z.output<z.ZodObject<O>>> | AskOutput>;
}

export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(tool: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return tool;
}

/**
 * A tool's schema as tools/list advertises it: without the `$schema` zod stamps on the root,
 * about 15 tokens a schema in every conversation that no model or host needs (MCP fixes the
 * dialect).
 */
export function advertisedSchema<S extends z.ZodRawShape>(shape: S) {
  return leaveOutOfJsonSchema(z.object(shape), '$schema');
}
