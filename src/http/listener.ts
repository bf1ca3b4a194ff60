/**
 * The listening socket of the remote server, opened before the app exists (so its URL is known
 * to whatever needs it first, such as an in-process emulator's webhooks), with the time-outs of
 * a request's arrival (checked every second: Node's own check runs every 30 s), a cap on open
 * connections (one past it is answered 503 and closed at once, rather than left hanging), and a
 * graceful shutdown: refuse new calls, let those in flight end for a grace period (webhooks still
 * come in), then close what is left.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DEFAULT_MAX_CONNECTIONS } from '../config.js';

export interface Drainable {
  /** Refuse new requests (503) from now on. */
  drain(): void;
  inFlight: { size: number; idle(): Promise<void>; closeAll(why: string): void };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ListenOptions {
  host: string;
  port: number;
  /** How long a request (headers and body, an upload included) may take to arrive: 408 after. */
  requestTimeoutMs: number;
  /** Open connections at most (MINDEE_MCP_MAX_CONNECTIONS): one more is answered 503 and closed. */
  maxConnections?: number;
  /** How often request time-outs are checked (default 1 s: a time-out fires at most this late). */
  checkEveryMs?: number;
}

const CHECK_EVERY_MS = 1000;

/** The raw answer to a connection past the cap: no request of it is read. */
function overCapAnswer(max: number): string {
  const body = JSON.stringify({
    error: 'too_many_connections',
    error_description: `This server holds ${max} open connections, its limit (MINDEE_MCP_MAX_CONNECTIONS): try again in a moment, or reuse a connection.`,
  });
  return `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`;
}

export class HttpListener {
  #handler: Handler | null = null;
  #app: Drainable | null = null;

  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async open(options: ListenOptions): Promise<HttpListener> {
    let listener: HttpListener | undefined;
    const max = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    let open = 0;
    const overCap = new WeakSet<Socket>();
    const server = createServer({ connectionsCheckingInterval: options.checkEveryMs ?? CHECK_EVERY_MS }, (req, res) => {
      // Answered already, as it connected: whatever it sent is not served.
      if (overCap.has(req.socket)) return;
      const handler = listener ? listener.#handler : null;
      if (handler) return handler(req, res);
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"starting"}');
    });
    server.requestTimeout = options.requestTimeoutMs;
    server.headersTimeout = Math.min(60_000, options.requestTimeoutMs);
    server.on('connection', (socket: Socket) => {
      open++;
      socket.once('close', () => open--);
      if (open <= max) return;
      overCap.add(socket);
      socket.end(overCapAnswer(max));
      // A peer that does not close its side (or keeps sending) is not waited for.
      const cut = setTimeout(() => socket.destroy(), CHECK_EVERY_MS);
      cut.unref();
      socket.once('close', () => clearTimeout(cut));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    listener = new HttpListener(server, `http://${host}:${address.port}`);
    return listener;
  }

  serve(handler: Handler, app?: Drainable): void {
    this.#handler = handler;
    this.#app = app ?? null;
  }

  /**
   * Stops accepting calls (503), waits up to `graceMs` for the calls in flight, then ends them
   * and closes. The socket stays open meanwhile: the webhooks that end those calls still come in.
   * Resolves with whether everything ended within the grace period.
   */
  async shutdown(graceMs: number): Promise<boolean> {
    this.#app?.drain();
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      (this.#app?.inFlight.idle() ?? Promise.resolve()).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    this.#app?.inFlight.closeAll('The server shut down before this call ended: call again (a job already enqueued keeps running at Mindee).');
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Responses just ended may still be flushing: give sockets a moment, then cut them.
    this.server.closeIdleConnections();
    const cut = setTimeout(() => this.server.closeAllConnections(), 1000);
    cut.unref();
    await closed;
    clearTimeout(cut);
    return inTime;
  }
}
