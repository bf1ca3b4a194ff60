/**
 * The remote server's routes, as an express app:
 *   GET  /healthz                      200 {"status":"ok","version"} (503 while shutting down)
 *   GET  /metrics                      Prometheus text (behind MINDEE_MCP_METRICS_TOKEN; without it, on loopback only)
 *   GET  /.well-known/oauth-protected-resource/mcp   RFC 9728 metadata (oauth mode)
 *   POST /mcp                          MCP Streamable HTTP, stateless (GET and DELETE: 405)
 *   POST /uploads                      a document for a later enqueue (upload_id)
 *   POST /webhooks/mindee              Mindee's signed webhooks
 * Every request is checked against the Host and Origin allow-lists (DNS rebinding) except the
 * health and metrics probes, which carry nothing of any caller; every request is logged on one
 * line (never with a key or token) and counted.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { validateHostHeader } from '@modelcontextprotocol/server';
import type { Logger } from '../log.js';
import { clip, errorMessage, formatBytes } from '../lib/text.js';
import type { ToolDeps } from '../tools/define.js';
import { digest, insufficientScope, principalOf, SCOPE_ENQUEUE, type Authenticator, type Principal } from './auth.js';
import { InFlight, mcpRoute, type RpcSummary } from './mcp.js';
import type { Metrics } from './metrics.js';

export interface HttpAppOptions {
  authenticator: Authenticator;
  depsFor: (principal: Principal) => ToolDeps;
  writeTools: ReadonlySet<string>;
  /** Host names clients may use, each with a port for a browser Origin of that port only ('*': any). */
  allowedHosts: string[] | '*';
  maxBodyBytes: number;
  maxConcurrentCalls: number;
  requestTimeoutMs: number;
  log: Logger;
  metrics?: Metrics;
  /**
   * Who may read /metrics (it tells how busy the server is and how calls end): holders of this
   * bearer token; 'open': anyone who reaches the server (it listens on loopback only); 'off': no one.
   */
  metricsAccess?: { token: string } | 'open' | 'off';
  version: string;
  /** POST /uploads, once the caller is authenticated. */
  uploads?: RequestHandler;
  /** After authentication, before a body of /mcp or /uploads is read: whether the caller's key is one Mindee takes (mindee-key mode). */
  admit?: RequestHandler;
  /** POST /webhooks/mindee (authenticated by its signature). */
  webhooks?: RequestHandler;
}

export interface HttpApp {
  app: Express;
  inFlight: InFlight;
  /** From now on, every request but webhooks is answered 503 (/healthz says it is shutting down). */
  drain(): void;
}

/** Routes named in metrics; any other path counts as "other", so labels stay few. */
const ROUTES = new Set(['/mcp', '/uploads', '/webhooks/mindee', '/healthz', '/metrics']);

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const inFlight = new InFlight();
  let draining = false;

  app.use(requestLog(options));
  app.get('/healthz', (_req, res) => {
    res.status(draining ? 503 : 200).json({ status: draining ? 'shutting_down' : 'ok', version: options.version });
  });
  app.use((req, res, next) => {
    // A webhook may be what ends a call in flight: it is still taken while draining.
    if (!draining || req.path === '/webhooks/mindee') return next();
    res.set('Connection', 'close');
    jsonRpcError(res, 503, 'The server is shutting down: send the request again (another replica, or this one once restarted).');
  });
  if (options.metrics) {
    const metrics = options.metrics;
    const access = options.metricsAccess ?? 'open';
    const expected = typeof access === 'object' ? digest(access.token) : undefined;
    app.get('/metrics', (req, res, next) => {
      if (access === 'off') {
        res.status(404).json({ error: 'not_found', error_description: 'Metrics are served on a loopback address, or with MINDEE_MCP_METRICS_TOKEN set: then send it as "Authorization: Bearer <token>".' });
        return;
      }
      if (expected) {
        const m = /^Bearer\s+(\S{1,1024})\s*$/i.exec(req.headers.authorization ?? '');
        if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
          res.set('WWW-Authenticate', 'Bearer realm="mindee-mcp-metrics"');
          res.status(401).json({ error: 'invalid_token', error_description: 'GET /metrics needs "Authorization: Bearer <MINDEE_MCP_METRICS_TOKEN>".' });
          return;
        }
      }
      metrics.text().then((text) => res.type(metrics.contentType).send(text), next);
    });
  }
  if (options.allowedHosts !== '*') {
    // The Host check is by name; "name:port" entries name the browser origins of other ports.
    app.use(hostCheck([...new Set(options.allowedHosts.map(hostnameOf))]));
    app.use(originCheck(options.allowedHosts));
  }
  if (options.authenticator.routes) app.use(options.authenticator.routes.path, options.authenticator.routes.handler);
  if (options.webhooks) app.post('/webhooks/mindee', options.webhooks);

  const notAllowed: RequestHandler = (_req, res) => {
    res.set('Allow', 'POST');
    jsonRpcError(res, 405, 'Method not allowed: this server is stateless, so it offers no SSE stream (GET) and no session to end (DELETE). Send JSON-RPC with POST.');
  };
  app.get('/mcp', notAllowed);
  app.delete('/mcp', notAllowed);
  const admit: RequestHandler = options.admit ?? ((_req, _res, next) => next());
  app.post(
    '/mcp',
    options.authenticator.middleware,
    admit,
    express.json({ limit: options.maxBodyBytes }),
    mcpRoute({
      depsFor: options.depsFor,
      writeTools: options.writeTools,
      maxConcurrentCalls: options.maxConcurrentCalls,
      requestTimeoutMs: options.requestTimeoutMs,
      metrics: options.metrics,
      resourceMetadataUrl: options.authenticator.resourceMetadataUrl,
      inFlight,
    }),
  );
  if (options.uploads) {
    // Storing a document is the first half of an enqueue: a read-only token may not.
    const mayEnqueue: RequestHandler = (_req, res, next) => {
      const scopes = principalOf(res).scopes;
      if (scopes && !scopes.has(SCOPE_ENQUEUE)) return insufficientScope(res, SCOPE_ENQUEUE, options.authenticator.resourceMetadataUrl);
      next();
    };
    app.post('/uploads', options.authenticator.middleware, mayEnqueue, admit, options.uploads);
  }
  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', error_description: `No route ${req.method} ${clip(req.path, 100)}: the MCP endpoint is POST /mcp.` });
  });
  app.use(errorHandler(options));
  return {
    app,
    inFlight,
    drain: () => {
      draining = true;
    },
  };
}

/** DNS-rebinding protection: a Host that is not allowed gets 403 naming it (the SDK's check). */
function hostCheck(allowed: string[]): RequestHandler {
  return (req, res, next) => {
    const checked = validateHostHeader(req.headers.host, allowed);
    if (checked.ok) return next();
    jsonRpcError(res, 403, clip(checked.message, 300));
  };
}

function jsonRpcError(res: express.Response, status: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

/** The host name of an allowed-hosts entry ("localhost:6274" → "localhost"). */
function hostnameOf(entry: string): string {
  try {
    return new URL(`http://${entry}`).hostname;
  } catch {
    return entry;
  }
}

/**
 * Browsers send Origin: a page of another site — or of another port of the same host, another
 * local app — must not reach this server through the user's browser. An origin is allowed when it
 * is the origin the request was sent to (its Host, port included), an entry's host on its
 * scheme's default port, or an entry written with its port ("localhost:6274").
 */
function originCheck(allowed: string[]): RequestHandler {
  const withPort = new Set<string>();
  const names = new Set<string>();
  for (const entry of allowed) {
    try {
      const url = new URL(`http://${entry}`);
      if (/:\d+$/.test(entry)) withPort.add(`${url.hostname}:${url.port || '80'}`);
      else names.add(url.hostname);
    } catch {
      // An entry that is no host name matches nothing.
    }
  }
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    let url: URL | null = null;
    try {
      url = new URL(origin);
    } catch {
      // "null" and other opaque origins are refused below.
    }
    if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
      const port = url.port || (url.protocol === 'https:' ? '443' : '80');
      let reached: string | null = null;
      try {
        reached = req.headers.host ? new URL(`${url.protocol}//${req.headers.host}`).host : null;
      } catch {
        // A Host that does not parse was refused before.
      }
      if (url.host === reached || withPort.has(`${url.hostname}:${port}`) || (names.has(url.hostname) && url.port === '')) return next();
    }
    jsonRpcError(
      res,
      403,
      `Origin ${clip(origin, 100)} is not allowed: its host and port must be those this server is reached at, or listed in MINDEE_MCP_ALLOWED_HOSTS with the port (e.g. localhost:6274).`,
    );
  };
}

/** One line per request, once it has ended: never a key, a token or a query string. */
function requestLog(options: HttpAppOptions): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('close', () => {
      const route = ROUTES.has(req.path) ? req.path : 'other';
      const principal = res.locals.principal as Principal | undefined;
      const rpc = res.locals.rpc as RpcSummary | undefined;
      options.metrics?.request(route, res.statusCode);
      options.log.record(res.statusCode >= 500 ? 'warn' : 'info', 'request', {
        method: req.method,
        path: clip(req.path, 100),
        status: res.statusCode,
        duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        principal: principal?.caller.id,
        rpc: rpc?.rpc,
        tool: rpc?.tool,
        outcome: rpc?.outcome,
        completed: res.writableFinished,
      });
    });
    next();
  };
}

function errorHandler(options: HttpAppOptions): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const type = (error as { type?: unknown } | null)?.type;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (type === 'entity.too.large') {
      return jsonRpcError(
        res,
        413,
        `The request body is over the ${formatBytes(options.maxBodyBytes)} limit of this server (MINDEE_MCP_MAX_BODY_MB). Send a large document as an upload (POST /uploads, then its upload_id), not as file_base64.`,
      );
    }
    if (type === 'entity.parse.failed') return res.status(400).json({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the body is not valid JSON.' }, id: null });
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') return jsonRpcError(res, 415, 'Unsupported body encoding: send UTF-8 JSON.');
    // zlib's own errors (Z_DATA_ERROR, Z_BUF_ERROR…): the body does not decode as its Content-Encoding says.
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      return jsonRpcError(res, 400, `The request body cannot be decompressed (${clip(errorMessage(error), 80)}): it is not what its Content-Encoding header says. Send it as that encoding, or uncompressed without the header.`);
    }
    // Any other error body-parser marks as the client's (a 4xx it may expose) keeps its status and words.
    const status = (error as { status?: unknown; expose?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
      return jsonRpcError(res, status, `The request body cannot be read: ${clip(errorMessage(error), 200)}.`);
    }
    options.log.error('unexpected error while serving a request', error);
    jsonRpcError(res, 500, 'mindee-mcp hit an unexpected internal error; the details are in the server\'s log.');
  };
}
