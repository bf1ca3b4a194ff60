// The yardstick of scenario 11: a bare MCP server of the v2 SDK, `createMcpHandler` mounted with
// `toNodeHandler` on node:http, no auth, answering the same tools/list JSON as ours (read from
// the file named by argv[2]) and an unknown-tool error to any tools/call. It prints its URL.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { ProtocolError, ProtocolErrorCode, Server, createMcpHandler } from '@modelcontextprotocol/server';

const list = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const handler = createMcpHandler(() => {
  const server = new Server({ name: 'bare', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => list);
  server.setRequestHandler('tools/call', (request) => {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
  });
  return server;
});
const node = toNodeHandler(handler);
const http = createServer((req, res) => void node(req, res));
http.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${http.address().port}/mcp\n`));
process.on('SIGTERM', () => process.exit(0));
