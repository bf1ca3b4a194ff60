/**
 * Issue 17: a request time-out fired up to 30 s late (Node checks every 30 s by default), and
 * nothing capped connections (400 idle ones locked a server out). The time-out is now checked
 * every second; a connection past the cap is answered 503 and closed, not left hanging. Small
 * limits, events awaited: nothing here reads a clock.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Client, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpListener } from '../../src/http/listener.js';

let listener: HttpListener | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await listener?.shutdown(100);
  listener = undefined;
});

async function open(options: { requestTimeoutMs: number; maxConnections?: number }): Promise<HttpListener> {
  listener = await HttpListener.open({ host: '127.0.0.1', port: 0, ...options });
  listener.serve((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('served'));
  });
  return listener;
}

/** A raw connection to the listener, once the server has taken it. */
async function rawConnection(l: HttpListener): Promise<Socket> {
  const accepted = once(l.server, 'connection');
  const url = new URL(l.url);
  const socket = connect(Number(url.port), url.hostname);
  sockets.push(socket);
  await Promise.all([once(socket, 'connect'), accepted]);
  return socket;
}

/** Everything the server sends on `socket` until it closes its side. */
async function answerOf(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  await once(socket, 'end');
  return text;
}

describe('the request time-out', () => {
  it('answers a body that stops arriving with 408, at the next check of a second, not of 30 s', { timeout: 10_000 }, async () => {
    const l = await open({ requestTimeoutMs: 1000 });
    const socket = await rawConnection(l);
    socket.write('POST /uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/pdf\r\nContent-Length: 1000\r\n\r\n%PDF-1.4 and no more');
    const answer = await answerOf(socket);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('the connection cap', () => {
  it('answers a connection past the cap 503 at once, saying which limit, and serves again once one closes', async () => {
    const l = await open({ requestTimeoutMs: 60_000, maxConnections: 2 });
    // The server's side of every connection, to await its closing.
    const serverSide: Socket[] = [];
    l.server.on('connection', (s: Socket) => serverSide.push(s));
    const idle = [await rawConnection(l), await rawConnection(l)];

    const third = await rawConnection(l);
    third.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const refused = await answerOf(third);
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused).toMatch(/Retry-After: 1/);
    expect(refused).toContain('MINDEE_MCP_MAX_CONNECTIONS');
    expect(refused).not.toContain('served');

    // An HTTP client reads the same answer.
    const client = new Client(l.url);
    const viaClient = await client.request({ path: '/healthz', method: 'GET' });
    expect(viaClient.statusCode).toBe(503);
    expect(((await viaClient.body.json()) as { error: string }).error).toBe('too_many_connections');
    await client.close();

    // Everything but one idle connection goes: a place is free again.
    const keep = serverSide[1]!;
    for (const s of [idle[0]!, third]) s.destroy();
    await Promise.all(serverSide.filter((s) => s !== keep && !s.closed).map((s) => once(s, 'close')));
    const served = await request(`${l.url}/`, { method: 'POST', body: 'x' });
    expect(served.statusCode).toBe(200);
    expect(await served.body.text()).toBe('served');
  });
});
