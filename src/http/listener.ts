/**
 * The listening socket of the remote server, opened before the app exists (so its URL is known
 * to whatever needs it first, such as an in-process emulator's webhooks), with the time-outs of
 * a request's arrival, and a graceful shutdown: refuse new calls, let those in flight end for a
 * grace period (webhooks still come in), then close what is left.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
    const server = createServer((req, res) => {
      const handler = listener ? listener.#handler : null;
      if (handler) return handler(req, res);
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"starting"}');
    });
    server.requestTimeout = options.requestTimeoutMs;
    server.headersTimeout = Math.min(60_000, options.requestTimeoutMs);
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
