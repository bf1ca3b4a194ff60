/**
 * The v2 SDK's web handler (`createMcpHandler`) served on node's request and response, for a
 * body the route has parsed already. What the SDK's own `toNodeHandler` does, less what a parsed
 * body makes useless: it serialises the body again into the web `Request` (which the handler
 * then never reads, given `parsedBody`), and it writes every answer chunk by chunk. Here the
 * `Request` carries the headers only, and a JSON answer is written in one piece with its length
 * (no chunked framing); an SSE answer streams as it comes, with back-pressure. A caller who hangs
 * up aborts the request's signal, as with the SDK's adapter.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo, McpHttpHandler } from '@modelcontextprotocol/server';

const ENDPOINT = 'http://localhost/mcp';

/** Headers the web `Request` must not carry: it has no body of its own. */
const BODY_HEADERS = new Set(['content-length', 'content-encoding', 'transfer-encoding']);

export async function serveParsed(handler: McpHttpHandler, req: IncomingMessage, res: ServerResponse, parsedBody: unknown, authInfo: AuthInfo): Promise<void> {
  let finished = false;
  const abort = new AbortController();
  res.on('close', () => {
    if (!finished) abort.abort();
  });
  if (res.destroyed) abort.abort();
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':') || BODY_HEADERS.has(name)) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  // The handler serves one endpoint and reads nothing of the URL: a fixed one, so a Host header or
  // a request target the checks let through (`Host: user@127.0.0.1`) cannot make the URL invalid.
  const request = new Request(ENDPOINT, { method: 'POST', headers, signal: abort.signal });
  const response = await handler.fetch(request, { authInfo, parsedBody });
  const out: Record<string, string> = {};
  for (const [name, value] of response.headers) out[name] = value;
  if (response.body === null) {
    finished = true;
    res.writeHead(response.status, out).end();
    return;
  }
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const body = Buffer.from(await response.arrayBuffer());
    out['content-length'] = String(body.byteLength);
    finished = true;
    res.writeHead(response.status, out).end(body);
    return;
  }
  res.writeHead(response.status, out);
  let drained: (() => void) | undefined;
  res.on('drain', () => {
    drained?.();
    drained = undefined;
  });
  const closed = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (abort.signal.aborted) break;
      if (!res.write(chunk)) await Promise.race([new Promise<void>((resolve) => (drained = resolve)), closed]);
    }
  } catch {
    // The stream broke off (the server closed it, the caller went): what was sent stands.
  }
  finished = true;
  res.end();
}
