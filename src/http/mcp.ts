/**
 * POST /mcp: MCP Streamable HTTP, stateless. Each request gets a new McpServer (createServer
 * with this caller's deps) and a new StreamableHTTPServerTransport with no session, so any
 * replica can answer any request. Around it: scopes per tool, a bound on calls in flight per
 * caller (429 + Retry-After), a time-out per request, cancellation of a call by
 * `notifications/cancelled` (which arrives as a request of its own) or by the caller hanging up,
 * and the outcome of every tool call for logs and metrics.
 */
import type { Request, RequestHandler, Response } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createServer } from '../mcp/server.js';
import { clip } from '../text.js';
import type { ToolDeps } from '../tools/define.js';
import { insufficientScope, principalOf, SCOPE_ENQUEUE, SCOPE_READ, type Principal } from './auth.js';
import type { CallOutcome, Metrics } from './metrics.js';

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

/** Per-caller count of requests in flight. */
class Concurrency {
  readonly #counts = new Map<string, number>();
  constructor(private readonly max: number) {}

  acquire(principal: string): (() => void) | null {
    const n = this.#counts.get(principal) ?? 0;
    if (n >= this.max) return null;
    this.#counts.set(principal, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(principal) ?? 1) - 1;
      if (left <= 0) this.#counts.delete(principal);
      else this.#counts.set(principal, left);
    };
  }
}

type Message = { method?: unknown; id?: unknown; params?: { name?: unknown; requestId?: unknown } };

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

export function mcpRoute(options: McpRouteOptions): RequestHandler {
  const concurrency = new Concurrency(options.maxConcurrentCalls);
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
      if (m.method === 'notifications/cancelled') options.inFlight.cancel(principal.id, m.params?.requestId);
    }
    const requestIds = messages.filter(isRequest).map((m) => m.id);
    let release = () => {};
    // Notifications (a cancellation among them) always pass: they end at once, and may free a slot.
    if (requestIds.length > 0) {
      const slot = concurrency.acquire(principal.id);
      if (!slot) {
        res.set('Retry-After', String(RETRY_AFTER_SECONDS));
        res.status(429).json({
          jsonrpc: '2.0',
          error: {
            code: -32000,
            message: `Too many calls in flight for this caller (the limit is ${options.maxConcurrentCalls}, MINDEE_MCP_MAX_CONCURRENT_CALLS): retry once one has ended.`,
          },
          id: null,
        });
        return;
      }
      release = slot;
    }

    // "JSON otherwise": a client that does not take SSE gets one JSON answer.
    const accept = req.headers.accept ?? '';
    const json = !accept.includes('text/event-stream');
    if (json) req.headers.accept = `${accept ? `${accept}, ` : ''}application/json, text/event-stream`;
    const server = createServer(options.depsFor(principal));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: json });
    const started = Date.now();

    let closed = false;
    const unanswered = new Set(requestIds.map(String));
    const close = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      release();
      done();
      void transport.close();
      void server.close();
    };
    const cancel = (why?: string) => {
      if (closed) return;
      if (summary.outcome === undefined && summary.tool) summary.outcome = 'cancelled';
      if (!why || unanswered.size === 0) return close();
      // The caller still listens: each call it waits for gets an error that says why, then the stream ends.
      const errors = [...unanswered].map((id) => requestIds.find((r) => String(r) === id));
      void Promise.allSettled(errors.map((id) => transport.send({ jsonrpc: '2.0', id: id as string | number, error: { code: -32000, message: why } }))).finally(close);
    };
    const done = options.inFlight.add(principal.id, requestIds, cancel);
    const timer = setTimeout(
      () => cancel(`The call took longer than this server allows (${Math.round(options.requestTimeoutMs / 1000)} s) and was stopped; call again with a shorter wait.`),
      options.requestTimeoutMs,
    );
    timer.unref();
    res.on('close', () => cancel());
    try {
      await server.connect(transport);
      watchOutcomes(transport, messages, summary, unanswered, (tool, outcome) => options.metrics?.toolCall(tool, outcome, Date.now() - started));
      await transport.handleRequest(req, res, body);
    } catch (error) {
      close();
      throw error;
    }
    // A request of notifications only is answered 202 at once.
    if (requestIds.length === 0) close();
  };
}

function summarise(messages: Message[]): RpcSummary {
  const first = messages.find((m) => typeof m.method === 'string');
  const rpc = first ? clip(String(first.method), 64) : 'none';
  const tool = first?.method === 'tools/call' && typeof first.params?.name === 'string' ? clip(first.params.name, 64) : undefined;
  return messages.length > 1 ? { rpc: `batch(${messages.length}):${rpc}`, tool } : { rpc, tool };
}

/** Reads which requests are answered, and each tool call's outcome, from what the server sends. */
function watchOutcomes(
  transport: StreamableHTTPServerTransport,
  messages: Message[],
  summary: RpcSummary,
  unanswered: Set<string>,
  report: (tool: string, outcome: CallOutcome) => void,
): void {
  const calls = new Map<string, string>();
  for (const m of messages) if (m.method === 'tools/call' && isRequest(m)) calls.set(String(m.id), String(m.params?.name));
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage, sendOptions) => {
    if ('id' in message && !('method' in message)) unanswered.delete(String(message.id));
    if ('id' in message && !('method' in message) && calls.has(String(message.id))) {
      const tool = calls.get(String(message.id))!;
      calls.delete(String(message.id));
      const outcome: CallOutcome = 'error' in message ? 'protocol_error' : (message.result as { isError?: boolean }).isError ? 'error' : 'ok';
      summary.outcome = outcome;
      report(tool, outcome);
    }
    return send(message, sendOptions);
  };
  const onclose = transport.onclose;
  transport.onclose = () => {
    for (const tool of calls.values()) report(tool, 'cancelled');
    calls.clear();
    onclose?.();
  };
}
