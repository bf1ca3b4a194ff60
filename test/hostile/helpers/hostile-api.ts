/**
 * A stand-in for a hostile or broken Mindee API on loopback: each route answers as a test
 * scripts it — echoing the key it was sent, giant or endless bodies, JSON nested beyond reason,
 * a slow drip, prototype keys. What a behaviour needs of the request (its key, its body) is
 * handed to it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

type Route = 'enqueue' | 'job' | 'result' | 'search';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The Authorization header: the key, as the client sent it. */
  key: string;
  /** The id in the path (job or inference), if any. */
  id: string | null;
  /** This API's own origin, for result URLs. */
  origin: string;
}

type Behaviour = (x: Exchange) => void | Promise<void>;

export interface HostileApi {
  url: string;
  /** Sets how a route answers from now on. */
  on(route: Route, behaviour: Behaviour): void;
  /** Requests received per route. */
  hits: Record<Route, number>;
  close(): Promise<void>;
}

export async function startHostileApi(): Promise<HostileApi> {
  const behaviours = new Map<Route, Behaviour>();
  const hits: Record<Route, number> = { enqueue: 0, job: 0, result: 0, search: 0 };
  const sockets = new Set<Socket>();
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let route: Route | null = null;
    let id: string | null = null;
    let m: RegExpExecArray | null;
    if (/\/enqueue$/.test(path)) route = 'enqueue';
    else if ((m = /^\/v2\/jobs\/([^/]+)$/.exec(path))) [route, id] = ['job', m[1]!];
    else if ((m = /^\/v2\/(?:inferences|products\/[^/]+\/results)\/([^/]+)$/.exec(path))) [route, id] = ['result', m[1]!];
    else if (path === '/v2/search/models') route = 'search';
    const behaviour = route ? behaviours.get(route) : undefined;
    if (!route || !behaviour) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":404,"title":"Not found","detail":"no behaviour","code":"404-000","errors":[]}');
      return;
    }
    hits[route]++;
    // Read (and drop) whatever is uploaded, so the client is not blocked sending it.
    req.resume();
    void Promise.resolve(behaviour({ req, res, key: req.headers.authorization ?? '', id, origin })).catch(() => res.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    hits,
    on: (route, behaviour) => void behaviours.set(route, behaviour),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
}

/** A job in the API's shape, with anything overridden. */
export function job(x: Exchange, overrides: Record<string, unknown> = {}): { job: Record<string, unknown> } {
  const id = x.id ?? 'job-1';
  return {
    job: {
      id,
      model_id: '6c0d1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
      filename: 'a.pdf',
      alias: null,
      created_at: '2026-11-28T10:00:00.000000',
      completed_at: null,
      status: 'Processing',
      polling_url: `${x.origin}/v2/jobs/${id}`,
      result_url: null,
      webhooks: [],
      error: null,
      ...overrides,
    },
  };
}

/** A processed job whose result is `inf-1` on this API. */
export function processedJob(x: Exchange, overrides: Record<string, unknown> = {}) {
  return job(x, { status: 'Processed', completed_at: '2026-11-28T10:00:02.000000', result_url: `${x.origin}/v2/inferences/inf-1`, ...overrides });
}

/** An extraction result with the given fields (in the API's own field shapes). */
export function inference(fields: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return {
    inference: {
      id: 'inf-1',
      job: { id: 'job-1' },
      model: { id: '6c0d1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b' },
      file: { name: 'a.pdf', alias: null, page_count: 1, mime_type: 'application/pdf' },
      result: { fields, raw_text: null, rag: null },
      active_options: { raw_text: false, polygon: false, confidence: false, rag: false, text_context: false, data_schema: { replace: false } },
      ...overrides,
    },
  };
}

/** Writes `chunk` until the client goes away: a body that never ends. */
export function endless(res: ServerResponse, head: string, chunk: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(head);
  const pump = () => {
    while (!res.destroyed && res.write(chunk)) {
      // keep writing while the socket takes it
    }
    if (!res.destroyed) res.once('drain', pump);
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}
