/**
 * The remote server's checks are written against node's own request and response
 * (`IncomingMessage`, `ServerResponse`), as connect-style steps: express mounts them for its
 * routes, and POST /mcp runs the same steps in the same order without express (app.ts), so each
 * check has one implementation and the hottest route pays for no router.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

type Next = (error?: unknown) => void;
/** One check or handler: answers, or calls `next` (with an error: the error answer). */
export type Step = (req: IncomingMessage, res: ServerResponse, next: Next) => void | Promise<void>;

/** What the steps of one request tell each other (express's `res.locals`, the same object under express). */
export interface Locals {
  principal?: unknown;
  rpc?: unknown;
}

export function localsOf(res: ServerResponse): Locals {
  const r = res as ServerResponse & { locals?: Locals };
  return (r.locals ??= Object.create(null) as Locals);
}

/**
 * The path of a request, without its query string or fragment, as express's `req.path` reads it:
 * an absolute-form target (`POST http://user:pass@host/mcp`) is reduced to its path too, so
 * neither what the caller wrote before it nor after it reaches a log line, a metric or a route.
 */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  if (!url.startsWith('/')) {
    try {
      return new URL(url).pathname;
    } catch {
      // Not a URL ("*"): the text up to a query or fragment, as below.
    }
  }
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** A JSON answer, as express's `res.status(status).json(body)` writes it. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  if (headers) for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** A JSON-RPC error that belongs to no request (`id: null`). */
export function jsonRpcError(res: ServerResponse, status: number, message: string, headers?: Record<string, string>, code = -32000): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

/** Runs `steps` in turn, as a router would; an error (passed to `next` or thrown) goes to `onError`. */
export function runSteps(steps: readonly Step[], req: IncomingMessage, res: ServerResponse, onError: (error: unknown) => void): void {
  let i = 0;
  const next: Next = (error) => {
    if (error !== undefined) return onError(error);
    const step = steps[i++];
    if (!step) return;
    try {
      // An async step's rejection is an error too, as express 5 takes it.
      const ran = step(req, res, next);
      if (ran) ran.catch(onError);
    } catch (thrown) {
      onError(thrown);
    }
  };
  next();
}
