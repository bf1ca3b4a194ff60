/**
 * What a tool is: a name, a description written for a model, zod input and output schemas,
 * all four annotations (required by the type, so no tool forgets one), and a `run` that
 * returns text plus structured content or throws. A tool is made from the server's settings,
 * so its description states the configured defaults. Tools know nothing of HTTP.
 */
import type { z } from 'zod';
import type { MindeeClient } from '../client/mindee-client.js';
import type { FileAccess } from '../files/file-access.js';
import type { Logger } from '../log.js';
import type { ModelSettings } from './models.js';

export interface ToolAnnotationsRequired {
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
  /** How long kept results stay, seconds (MINDEE_MCP_CACHE_TTL): no task outlives them. */
  keptResultsSeconds?: number;
  /** The API is an emulator inside this process, whose jobs die with it (`--emulator`). */
  inProcessEmulator?: boolean;
}

/** Everything a tool may use, handed in by createServer so tests can pass fakes. */
export interface ToolDeps {
  client: MindeeClient;
  files: FileAccess;
  log: Logger;
  settings: ToolSettings;
}

export interface ToolContext {
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

export interface ToolOutput<S> {
  text: string;
  structured: S;
  links?: ResourceLink[];
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
  run(args: z.output<z.ZodObject<I>>, deps: ToolDeps, ctx: ToolContext): Promise<ToolOutput<z.output<z.ZodObject<O>>>>;
}

export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(tool: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return tool;
}
