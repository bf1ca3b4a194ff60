/**
 * The stdio transport: one JSON-RPC message per line on stdin and stdout, with a bound on the
 * length of a line. Ours rather than the SDK's StdioServerTransport, which on a line over its
 * buffer size closes itself without a word and stops reading stdin (the caller's request, and
 * every later one, then waits for ever, and the end of stdin is never seen), answers nothing to
 * a line that is not JSON, and copies its whole buffer on every chunk of a long line. Here an
 * over-long line is answered with an error naming the limit, its bytes are dropped as they come
 * (never held), and the next line is served as usual.
 */
import process from 'node:process';
import type { Readable, Writable } from 'node:stream';
import { parseJSONRPCMessage, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/server';
import { serveStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import type { ToolDeps } from '../tools/define.js';
import { createServer } from './server.js';

/**
 * Serves the tools on this process's stdin and stdout, in both protocol eras: the connection's
 * opening (initialize, or a 2026-07-28 request) picks its era, and one server serves it.
 */
export function serveOnStdio(deps: ToolDeps): StdioServerHandle {
  return serveStdio(({ era }) => createServer(deps, { era }), {
    transport: new BoundedStdioServerTransport(),
    onerror: (error) => deps.log.debug(`stdio: ${error.message}`),
  });
}

/**
 * Longest line read from stdin. Above a base64 document at its 5 MiB limit once encoded (6.7 MiB
 * plus the rest of the request), so such a document reaches the tool and gets the tool's own
 * answer; below the 10 MB lines the SDK's clients accept.
 */
export const MAX_STDIO_MESSAGE_BYTES = 8 * 1024 * 1024;

/** How much of a dropped line's start and end is kept, to find its id. */
const ID_WINDOW_BYTES = 256;

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

type RequestId = string | number | null;

export class BoundedStdioServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #stdin: Readable;
  readonly #stdout: Writable;
  readonly #maxLineBytes: number;
  /** The current line's bytes so far, kept while it is within the bound. */
  #parts: Buffer[] = [];
  #length = 0;
  /** Set while an over-long line is being dropped: its first and last bytes, and its length. */
  #dropping: { head: Buffer; tail: Buffer; length: number } | null = null;
  #closed = false;

  constructor(stdin: Readable = process.stdin, stdout: Writable = process.stdout, options: { maxLineBytes?: number } = {}) {
    this.#stdin = stdin;
    this.#stdout = stdout;
    this.#maxLineBytes = options.maxLineBytes ?? MAX_STDIO_MESSAGE_BYTES;
  }

  async start(): Promise<void> {
    this.#stdin.on('data', this.#onData);
    this.#stdin.on('error', this.#onError);
    this.#stdin.on('end', this.#onEnd);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.#write(`${JSON.stringify(message)}\n`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stdin.off('data', this.#onData);
    this.#stdin.off('error', this.#onError);
    this.#stdin.off('end', this.#onEnd);
    if (this.#stdin.listenerCount('data') === 0) this.#stdin.pause();
    this.#parts = [];
    this.#dropping = null;
    this.onclose?.();
  }

  readonly #onError = (error: Error) => this.onerror?.(error);
  readonly #onEnd = () => void this.close();

  readonly #onData = (chunk: Buffer | string) => {
    let data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    while (data.length > 0 && !this.#closed) {
      const newline = data.indexOf(0x0a);
      const piece = newline === -1 ? data : data.subarray(0, newline);
      this.#take(piece);
      if (newline === -1) return;
      this.#endLine();
      data = data.subarray(newline + 1);
    }
  };

  /** Adds bytes to the current line, switching to dropping it once it is over the bound. */
  #take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.#dropping) {
      this.#dropping.length += piece.length;
      this.#dropping.tail = lastBytes(Buffer.concat([this.#dropping.tail, piece]), ID_WINDOW_BYTES);
      return;
    }
    if (this.#length + piece.length <= this.#maxLineBytes) {
      this.#parts.push(piece);
      this.#length += piece.length;
      return;
    }
    const seen = Buffer.concat([...this.#parts, piece]);
    this.#dropping = { head: Buffer.from(seen.subarray(0, ID_WINDOW_BYTES)), tail: lastBytes(seen, ID_WINDOW_BYTES), length: seen.length };
    this.#parts = [];
    this.#length = 0;
  }

  #endLine(): void {
    if (this.#dropping) {
      const { head, tail, length } = this.#dropping;
      this.#dropping = null;
      const id = idFromStart(head.toString('utf8')) ?? idFromEnd(tail.toString('utf8').replace(/\r$/, ''));
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
      this.#reply(
        id,
        INVALID_REQUEST,
        `The message is ${mb(length)} long, over the ${mb(this.#maxLineBytes)} (${this.#maxLineBytes} bytes) limit of one message on stdio, and was not read. Pass a large document as file_path or url, not as file_base64.`,
      );
      this.onerror?.(new Error(`dropped a ${length}-byte message over the ${this.#maxLineBytes}-byte limit`));
      return;
    }
    const line = Buffer.concat(this.#parts).toString('utf8').replace(/\r$/, '');
    this.#parts = [];
    this.#length = 0;
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      this.#reply(null, PARSE_ERROR, 'Parse error: the message is not valid JSON.');
      this.onerror?.(error as Error);
      return;
    }
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(json);
    } catch (error) {
      const request = json as { id?: unknown; method?: unknown } | null;
      const id = request && typeof request === 'object' && typeof request.method === 'string' && isId(request.id) ? request.id : null;
      this.#reply(id, INVALID_REQUEST, 'Invalid request: the message is not a JSON-RPC 2.0 request, notification or response.');
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.onmessage?.(message);
  }

  /** An error answer the SDK's message types cannot express (its id may be null). */
  #reply(id: RequestId, code: number, message: string): void {
    void this.#write(`${JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })}\n`);
  }

  #write(text: string): Promise<void> {
    return new Promise((resolve) => {
      if (this.#stdout.write(text)) resolve();
      else this.#stdout.once('drain', resolve);
    });
  }
}

function lastBytes(bytes: Buffer, n: number): Buffer {
  return Buffer.from(bytes.subarray(Math.max(0, bytes.length - n)));
}

function isId(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

const ID_VALUE = String.raw`(-?\d{1,16}|"[^"\\]{0,128}")`;
/** `{"jsonrpc":"2.0","id":7,…`: the id among the leading scalar members of the object. */
const ID_AT_START = new RegExp(String.raw`^\s*\{\s*(?:"(?:jsonrpc|method)"\s*:\s*"[^"\\]*"\s*,\s*)*"id"\s*:\s*${ID_VALUE}\s*[,}]`);
/** `…,"id":7}`: the id as the object's last member, as the SDK's clients write it. */
const ID_AT_END = new RegExp(String.raw`[,{]\s*"id"\s*:\s*${ID_VALUE}\s*\}\s*$`);

function idFromStart(head: string): RequestId | undefined {
  const match = ID_AT_START.exec(head);
  return match ? (JSON.parse(match[1]!) as string | number) : undefined;
}

function idFromEnd(tail: string): RequestId {
  const match = ID_AT_END.exec(tail);
  return match ? (JSON.parse(match[1]!) as string | number) : null;
}
