import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BoundedStdioServerTransport } from '../src/mcp/stdio.js';

/** A transport over in-memory streams with a small bound; what it writes, line by line. */
async function transport(maxLineBytes: number) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const t = new BoundedStdioServerTransport(stdin, stdout, { maxLineBytes });
  const messages: unknown[] = [];
  const written: unknown[] = [];
  t.onmessage = (m) => messages.push(m);
  stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) written.push(JSON.parse(line));
  });
  await t.start();
  /** Feeds `text` in chunks of `size` bytes, then lets the stream deliver them. */
  const feed = async (text: string, size: number) => {
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += size) stdin.write(bytes.subarray(i, i + size));
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return { t, stdin, messages, written, feed };
}

const ping = (id: number) => JSON.stringify({ method: 'ping', jsonrpc: '2.0', id });

describe('BoundedStdioServerTransport', () => {
  it('reads messages cut anywhere, and drops an over-long one without holding it, answering with its id', async () => {
    for (const size of [1, 3, 7, 64, 4096]) {
      const s = await transport(100);
      const long = JSON.stringify({ method: 'tools/call', params: { x: 'y'.repeat(500) }, jsonrpc: '2.0', id: 'long-1' });
      await s.feed(`${ping(1)}\n${long}\r\n${ping(2)}\n`, size);
      expect(s.messages, `chunks of ${size}`).toEqual([
        { method: 'ping', jsonrpc: '2.0', id: 1 },
        { method: 'ping', jsonrpc: '2.0', id: 2 },
      ]);
      expect(s.written).toEqual([{ jsonrpc: '2.0', id: 'long-1', error: { code: -32600, message: expect.stringContaining('over the 0.0 MB (100 bytes) limit') } }]);
    }
  });

  it('answers what is not JSON-RPC with id null, or with the id of a malformed request', async () => {
    const s = await transport(1000);
    await s.feed('not json\n{"jsonrpc":"2.0","id":4,"method":5}\n\n[1,2]\n', 10);
    expect(s.written).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.any(String) } },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.any(String) } },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.any(String) } },
    ]);
  });

  it('closes when stdin ends', async () => {
    const s = await transport(1000);
    let closed = 0;
    s.t.onclose = () => closed++;
    s.stdin.end();
    await new Promise<void>((resolve) => s.stdin.once('end', resolve));
    expect(closed).toBe(1);
    await s.t.close();
    expect(closed).toBe(1);
  });
});
