/**
 * POST /mcp: MCP Streamable HTTP, stateless, in both protocol eras. A 2026-07-28 request (its
 * `_meta` envelope says so) is served by the v2 SDK's `createMcpHandler`; a 2025-era request by a
 * Streamable HTTP transport with no session, made for it; either way a new server (createServer
 * with this caller's deps) answers it, so any replica can answer any request. Around it: scopes
 * per tool, a bound on calls in flight per caller (429 + Retry-After), a time-out per request,
 * cancellation of a call by `notifications/cancelled` (which arrives as a request of its own), by
 * the caller hanging up or closing the stream, and the outcome of every tool call (reported by
 * the server's hook) for logs and metrics.
 */
import type { Request, RequestHandler, Response } from 'express';
import { NodeStreamableHTTPServerTransport, toNodeHandler, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import { PROTOCOL_VERSION_META_KEY, createMcpHandler, type AuthInfo, type McpRequestContext, type Server } from '@modelcontextprotocol/server';
import { createServer, type CallOutcome } from '../mcp/server.js';
import { clip } from '../lib/text.js';
import type { ToolDeps } from '../tools/define.js';
import { insufficientScope, principalOf, SCOPE_ENQUEUE, SCOPE_READ, type Principal } from './auth.js';
import type { Metrics } from './metrics.js';

export interface McpRouteOptions {
  depsFor(principal: Principal): ToolDeps;
  /** Names of the tools that change something (enqueue): they need the enqueue scope. */
  writeTools: ReadonlySet<string>;
  maxConcurrentCalls: number;
  /** Longest a request may stay open (a tool's own wait is bounded well below it). */
  requestTimeoutMs: number;
  metrics?: Metrics;
  resourceMetadataUrl?: string;
  /** Answers in flight: a shutdown waits for them, then closes what is left. */
  inFlight: InFlight;
}

/** What a request log line says of the MCP messages of a request. */
export interface RpcSummary {
  rpc: string;
  tool?: string;
  outcome?: CallOutcome;
}

/** Seconds a caller over its limit is told to wait: a call in flight may end any moment. */
const RETRY_AFTER_SECONDS = 2;

/** Calls of one process that are in flight, by caller and JSON-RPC id, so they can be cancelled. */
export class InFlight {
  readonly #calls = new Map<string, Set<Closer>>();
  readonly #closers = new Set<Closer>();
  readonly #idle: Array<() => void> = [];

  get size(): number {
    return this.#closers.size;
  }

  /** Tracks a request until `done` is called; `close` ends it early (cancel, shutdown). */
  add(principal: string, ids: unknown[], close: Closer): () => void {
    const keys = ids.map((id) => callKey(principal, id));
    for (const key of keys) {
      let set = this.#calls.get(key);
      if (!set) this.#calls.set(key, (set = new Set()));
      set.add(close);
    }
    this.#closers.add(close);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const key of keys) {
        const set = this.#calls.get(key);
        set?.delete(close);
        if (set?.size === 0) this.#calls.delete(key);
      }
      this.#closers.delete(close);
      if (this.#closers.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
    };
  }

  /**
   * Ends the call `id` of `principal`. Only when exactly one matches: two clients with the same key
   * may use the same ids, and a cancellation must not end another client's call.
   */
  cancel(principal: string, id: unknown): boolean {
    const set = this.#calls.get(callKey(principal, id));
    if (!set || set.size !== 1) return false;
    for (const close of set) close();
    return true;
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    if (this.#closers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Ends every call in flight, telling each caller why. */
  closeAll(why: string): void {
    for (const close of [...this.#closers]) close(why);
  }
}

/** Ends a request early; with `why`, its calls are answered with that error first (the caller still listens). */
type Closer = (why?: string) => void;

function callKey(principal: string, id: unknown): string {
  return `${principal}\u0000${typeof id}:${String(id)}`;
}

/**
 * Per-caller count of calls (JSON-RPC requests) in flight: a batch of 40 calls takes 40 places,
 * as 40 requests would. Batches are kept, not refused: clients of the 2025-03-26 protocol may
 * send them, and counting each call is what the limit means.
 */
class Concurrency {
  readonly #counts = new Map<string, number>();
  constructor(private readonly max: number) {}

  /** Takes `calls` places for `principal`, all or none. */
  acquire(principal: string, calls = 1): (() => void) | null {
    const n = this.#counts.get(principal) ?? 0;
    if (n + calls > this.max) return null;
    this.#counts.set(principal, n + calls);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(principal) ?? calls) - calls;
      if (left <= 0) this.#counts.delete(principal);
      else this.#counts.set(principal, left);
    };
  }
}

type Message = { method?: unknown; id?: unknown; params?: { name?: unknown; requestId?: unknown; _meta?: Record<string, unknown> } };

const isRequest = (m: Message) => typeof m.method === 'string' && m.id !== undefined && m.id !== null;

/** The scope a message needs: enqueueing needs `mindee:enqueue`, reading results `mindee:read`. */
function scopeOf(message: Message, writeTools: ReadonlySet<string>): string | null {
  if (!isRequest(message)) return null;
  if (message.method === 'tools/call') return writeTools.has(String(message.params?.name)) ? SCOPE_ENQUEUE : SCOPE_READ;
  if (typeof message.method === 'string' && message.method.startsWith('resources/')) return SCOPE_READ;
  // A task is an enqueue's call: reading it needs what reading a result needs, ending it what starting it needed.
  if (message.method === 'tasks/cancel') return SCOPE_ENQUEUE;
  if (typeof message.method === 'string' && message.method.startsWith('tasks/')) return SCOPE_READ;
  return null;
}

/** One HTTP exchange: the caller's deps, the server made for it, and what stops it early. */
interface Exchange {
  deps: ToolDeps;
  server?: Server;
  /** Aborted with a reason the caller is told (time-out, shutdown): the call answers with it. */
  stop: AbortController;
  onCall: (tool: string, outcome: CallOutcome) => void;
}

/** The exchange rides to the modern handler's factory as the request's (pass-through) auth info. */
function exchangeOf(authInfo: AuthInfo | undefined): Exchange {
  const exchange = authInfo?.extra?.exchange as Exchange | undefined;
  if (!exchange) throw new Error('internal: an MCP request reached the server without its exchange');
  return exchange;
}

function serverFor(exchange: Exchange, era: McpRequestContext['era']): Server {
  exchange.server = createServer(exchange.deps, { era, onCall: exchange.onCall, signal: exchange.stop.signal });
  return exchange.server;
}

export function mcpRoute(options: McpRouteOptions): RequestHandler {
  const concurrency = new Concurrency(options.maxConcurrentCalls);
  // 2026-07-28 requests; the 2025 era is served below, where a client that takes no SSE gets JSON.
  const modern: NodeMcpRequestHandler = toNodeHandler(
    createMcpHandler(({ era, authInfo }) => serverFor(exchangeOf(authInfo), era), { legacy: 'reject', maxRequestBodySize: Number.MAX_SAFE_INTEGER }),
  );
  return async (req: Request, res: Response) => {
    const principal = principalOf(res);
    const body: unknown = req.body;
    const messages: Message[] = (Array.isArray(body) ? body : [body]).filter((m): m is Message => m !== null && typeof m === 'object');
    const summary = summarise(messages);
    res.locals.rpc = summary;

    if (principal.scopes) {
      for (const m of messages) {
        const scope = scopeOf(m, options.writeTools);
        if (scope && !principal.scopes.has(scope)) return insufficientScope(res, scope, options.resourceMetadataUrl);
      }
    }
    for (const m of messages) {
      if (m.method === 'notifications/cancelled') options.inFlight.cancel(principal.caller.id, m.params?.requestId);
    }
    const requestIds = messages.filter(isRequest).map((m) => m.id);
    let release = () => {};
    // Notifications (a cancellation among them) always pass: they end at once, and may free a slot.
    if (requestIds.length > options.maxConcurrentCalls) {
      res.status(400).json({
        jsonrpc: '2.0',
        error: {
          code: -32600,
          message: `This batch has ${requestIds.length} calls; a caller may have at most ${options.maxConcurrentCalls} in flight (MINDEE_MCP_MAX_CONCURRENT_CALLS): send fewer calls per batch.`,
        },
        id: null,
      });
      return;
    }
    if (requestIds.length > 0) {
      const slot = concurrency.acquire(principal.caller.id, requestIds.length);
      if (!slot) {
        res.set('Retry-After', String(RETRY_AFTER_SECONDS));
        res.status(429).json({
          jsonrpc: '2.0',
          error: {
            code: -32000,
            message: `Too many calls in flight for this caller (the limit is ${options.maxConcurrentCalls}, MINDEE_MCP_MAX_CONCURRENT_CALLS${requestIds.length > 1 ? `; this batch has ${requestIds.length}` : ''}): retry once one has ended.`,
          },
          id: null,
        });
        return;
      }
      release = slot;
    }

    const started = Date.now();
    const exchange: Exchange = {
      deps: options.depsFor(principal),
      stop: new AbortController(),
      onCall: (tool, outcome) => {
        summary.outcome ??= outcome;
        options.metrics?.toolCall(tool, outcome, Date.now() - started);
      },
    };
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      release();
      done();
      void exchange.server?.close();
    };
    const cancel = (why?: string) => {
      if (closed) return;
      if (summary.outcome === undefined && summary.tool) summary.outcome = 'cancelled';
      // The caller still listens: the call answers with an error that says why, then the stream ends.
      if (why && !exchange.stop.signal.aborted) exchange.stop.abort(new Error(why));
      else close();
    };
    const done = options.inFlight.add(principal.caller.id, requestIds, cancel);
    const timer = setTimeout(
      () => cancel(`The call took longer than this server allows (${Math.round(options.requestTimeoutMs / 1000)} s) and was stopped; call again with a shorter wait.`),
      options.requestTimeoutMs,
    );
    timer.unref();
    // Before the request log's own listener: a caller who hung up is logged as having cancelled.
    res.prependListener('close', () => cancel());
    try {
      if (isLegacy(req, messages)) await serveLegacy(req, res, body, exchange, messages);
      else {
        (req as Request & { auth?: AuthInfo }).auth = { token: '', clientId: principal.caller.id, scopes: [], extra: { exchange } };
        await modern(req, res, body);
      }
    } catch (error) {
      close();
      throw error;
    }
    // A request of notifications only is answered 202 at once.
    if (requestIds.length === 0) close();
  };
}

/**
 * Whether a request is of the 2025 era: none of its messages claims a revision in its `_meta`
 * envelope, and no `MCP-Protocol-Version` header names a 2026 one. Everything else goes to the
 * SDK's 2026-07-28 handler, which answers a malformed claim itself. (The SDK's `isLegacyRequest`
 * decides the same from a web Request it would have to build: a third of a small request's cost.)
 */
function isLegacy(req: Request, messages: Message[]): boolean {
  const header = req.headers['mcp-protocol-version'];
  if (typeof header === 'string' && header >= '2026') return false;
  return !messages.some((m) => m.params?._meta?.[PROTOCOL_VERSION_META_KEY] !== undefined);
}

/**
 * A 2025-era request: a server and a session-less transport of its own. JSON for a client that
 * takes no SSE, and for requests that send nothing before their answer (all but tool calls, which
 * may send progress or ask the person, and tasks/result, which waits): the SSE framing of a large
 * answer (tools/list) costs more than the answer itself, as the 2026 handler's "auto" mode knows.
 */
async function serveLegacy(req: Request, res: Response, body: unknown, exchange: Exchange, messages: Message[]): Promise<void> {
  const accept = req.headers.accept ?? '';
  const json = !accept.includes('text/event-stream') || !messages.some((m) => m.method === 'tools/call' || m.method === 'tasks/result');
  if (json) req.headers.accept = `${accept ? `${accept}, ` : ''}application/json, text/event-stream`;
  const server = serverFor(exchange, 'legacy');
  const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: json });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

function summarise(messages: Message[]): RpcSummary {
  const first = messages.find((m) => typeof m.method === 'string');
  const rpc = first ? clip(String(first.method), 64) : 'none';
  const tool = first?.method === 'tools/call' && typeof first.params?.name === 'string' ? clip(first.params.name, 64) : undefined;
  return messages.length > 1 ? { rpc: `batch(${messages.length}):${rpc}`, tool } : { rpc, tool };
}
