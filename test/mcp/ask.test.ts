/**
 * "Ask the person" (src/mcp/ask.ts): one call, two wire forms. A 2026-07-28 client gets an
 * `input_required` result and retries with its answer; a 2025 connection gets an
 * `elicitation/create` request of its own. The v2 client answers both, in process.
 */
import { Client, InMemoryTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server, createMcpHandler, type CallToolResult } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { answerTo, ask, canAsk } from '../../src/mcp/ask.js';
import { MODERN } from '../helpers/modern.js';

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });

/** A server with one tool that asks before it answers. */
function confirming(): Server {
  const server = new Server({ name: 'ask-test', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({ tools: [{ name: 'send', inputSchema: { type: 'object' } }] }));
  server.setRequestHandler('tools/call', (_request, extra) => {
    if (!canAsk(extra, server.getClientCapabilities(), 'form')) return text('not asked: the client takes no forms');
    const answer = answerTo(extra, 'confirm');
    if (answer.kind !== 'elicit') return ask({ confirm: { kind: 'form', message: 'Send the document to Mindee?', schema: z.object({ send: z.boolean() }) } });
    return text(`${answer.action}:${JSON.stringify(answer.content ?? null)}`);
  });
  return server;
}

function client(mode: 'legacy' | { pin: string }, asked: string[], elicitation = true): Client {
  const c = new Client({ name: 'asked', version: '1.0.0' }, { versionNegotiation: { mode }, capabilities: elicitation ? { elicitation: { form: {} } } : {} });
  if (elicitation) {
    c.setRequestHandler('elicitation/create', (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { send: true } };
    });
  }
  return c;
}

describe('ask the person', () => {
  it('asks a 2026-07-28 client with input_required, and reads its answer on the retry', async () => {
    const handler = createMcpHandler(() => confirming());
    const asked: string[] = [];
    const c = client({ pin: MODERN }, asked);
    await c.connect(new StreamableHTTPClientTransport(new URL('http://ask.invalid/mcp'), { fetch: (url, init) => handler.fetch(new Request(url, init)) }));
    const result = await c.callTool({ name: 'send', arguments: {} });
    expect(asked).toEqual(['Send the document to Mindee?']);
    expect(result.content).toEqual([{ type: 'text', text: 'accept:{"send":true}' }]);
    await c.close();
    await handler.close();
  });

  it('asks a 2025 client with an elicitation/create request of its own', async () => {
    const server = confirming();
    const asked: string[] = [];
    const c = client('legacy', asked);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(b), c.connect(a)]);
    const result = await c.callTool({ name: 'send', arguments: {} });
    expect(asked).toEqual(['Send the document to Mindee?']);
    expect(result.content).toEqual([{ type: 'text', text: 'accept:{"send":true}' }]);
    await c.close();
    await server.close();
  });

  it('never asks a client that takes no forms', async () => {
    const handler = createMcpHandler(() => confirming());
    const asked: string[] = [];
    const c = client({ pin: MODERN }, asked, false);
    await c.connect(new StreamableHTTPClientTransport(new URL('http://ask.invalid/mcp'), { fetch: (url, init) => handler.fetch(new Request(url, init)) }));
    expect((await c.callTool({ name: 'send', arguments: {} })).content).toEqual([{ type: 'text', text: 'not asked: the client takes no forms' }]);
    expect(asked).toEqual([]);
    await c.close();
    await handler.close();
  });
});
