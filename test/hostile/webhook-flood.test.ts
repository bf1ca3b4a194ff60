/**
 * Issue 17: a webhook body was read whole before its signature was checked, with no bound on how
 * many at once (40 unsigned 63 MB posts took the server to 2 GB). The bodies read before their
 * check are now bounded in count and bytes (503 past that, unread), each body by the result limit,
 * and refused deliveries are logged at most once a minute.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { MindeeConnection } from '../../src/client/mindee-client.js';
import { HttpListener } from '../../src/http/listener.js';
import { WebhookGate, webhookOnlyApp } from '../../src/http/webhooks.js';
import { createLogger } from '../../src/log.js';
import { ManualClock } from '../helpers/manual-clock.js';

const SECRET = 'whsec_flood_test_0a1b2c3d4e5f6a7b8c9d';

let listener: HttpListener | undefined;
let connection: MindeeConnection | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await listener?.shutdown(100);
  await connection?.close();
  listener = undefined;
});

async function serve(gate: WebhookGate, clock = new ManualClock()): Promise<{ url: string; logs: string[]; clock: ManualClock }> {
  const logs: string[] = [];
  // Nothing here is signed: the connection is never asked anything.
  connection = new MindeeConnection({ baseUrl: 'http://127.0.0.1:9' });
  listener = await HttpListener.open({ host: '127.0.0.1', port: 0, requestTimeoutMs: 60_000 });
  listener.serve(webhookOnlyApp({ secrets: [SECRET], maxBodyBytes: 1024 * 1024, connection, gate, clock, log: createLogger({ write: (line) => logs.push(line) }) }));
  return { url: listener.url, logs, clock };
}

/** A delivery whose body stops after its first bytes: it holds its place until it is finished. */
async function held(url: string, declared: number): Promise<{ finish(): Promise<string> }> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  sockets.push(socket);
  await once(socket, 'connect');
  socket.write(`POST /webhooks/mindee HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nX-Signature: ${'0'.repeat(64)}\r\nContent-Length: ${declared}\r\nConnection: close\r\n\r\n{`);
  return {
    async finish() {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.end(' '.repeat(declared - 1));
      await once(socket, 'close');
      return text;
    },
  };
}

/** Waits (a bounded number of turns of the event loop) until the server reads `n` bodies. */
async function reading(gate: WebhookGate, n: number): Promise<void> {
  for (let i = 0; i < 10_000 && gate.bodies !== n; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(gate.bodies).toBe(n);
}

const deliver = async (url: string, body = '{"forged":true}') => {
  const res = await request(`${url}/webhooks/mindee`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': '1'.repeat(64) }, body });
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: (await res.body.json()) as { status: string; detail: string } };
};

describe('unverified webhook bodies', () => {
  it('reads at most the bound of bodies at once: one more is answered 503 unread, and taken again once one ends', async () => {
    const gate = new WebhookGate(2, 10 * 1024 * 1024);
    const { url } = await serve(gate);
    const first = await held(url, 1000);
    const second = await held(url, 1000);
    await reading(gate, 2);

    const busy = await deliver(url);
    expect(busy.status).toBe(503);
    expect(busy.retryAfter).toBe('5');
    expect(busy.body).toMatchObject({ status: 'busy', detail: expect.stringContaining('deliver again in a moment') });

    expect(await first.finish()).toMatch(/^HTTP\/1\.1 401 /);
    await reading(gate, 1);
    expect((await deliver(url)).status).toBe(401);
    expect(await second.finish()).toMatch(/^HTTP\/1\.1 401 /);
    await reading(gate, 0);
  });

  it('bounds their bytes: a body that would pass the budget is answered 503, a smaller one is read', async () => {
    const gate = new WebhookGate(10, 3000);
    const { url } = await serve(gate);
    const big = await held(url, 2000);
    await reading(gate, 1);
    expect((await deliver(url, `{"x":"${'a'.repeat(1500)}"}`)).status).toBe(503);
    expect((await deliver(url, `{"x":"${'a'.repeat(900)}"}`)).status).toBe(401);
    expect(await big.finish()).toMatch(/^HTTP\/1\.1 401 /);
  });

  it('refuses a body declared over the result limit at once, without taking a place', async () => {
    const gate = new WebhookGate(1, 10 * 1024 * 1024);
    const { url } = await serve(gate);
    const hold = await held(url, 1000);
    await reading(gate, 1);
    const u = new URL(url);
    const socket = connect(Number(u.port), u.hostname);
    sockets.push(socket);
    await once(socket, 'connect');
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.write(`POST /webhooks/mindee HTTP/1.1\r\nHost: ${u.host}\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n{`);
    await once(socket, 'end');
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toContain('MINDEE_MCP_MAX_RESPONSE_MB');
    await hold.finish();
  });

  it('logs refused deliveries at most once a minute, then says how many were not logged', async () => {
    const { url, logs, clock } = await serve(new WebhookGate(16, 10 * 1024 * 1024));
    for (let i = 0; i < 5; i++) expect((await deliver(url)).status).toBe(401);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/a webhook delivery was refused: its X-Signature does not match MINDEE_WEBHOOK_SECRET; these lines are written at most once a minute/);
    clock.advanceTo(clock.now() + 60_000);
    expect((await deliver(url)).status).toBe(401);
    expect(logs).toHaveLength(2);
    expect(logs[1]).toContain('(and 4 more refused since the last such line)');
  });
});
