/**
 * The demo's flow through a real MCP client against a server started with its emulator: the
 * tools listed, the models searched, a generated invoice sent and its fields read back. The
 * packaged server (npm tarball, MCPB bundle) must pass it as the built one does.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/sdk/client/stdio.js';
import { expect } from 'vitest';
import { recordOutput } from '../setup/secrets.js';

const TOOL_NAMES = ['enqueue_document', 'enqueue_documents', 'get_job_status', 'get_inference_result', 'review_result', 'search_models'];

/** Connects to a server spawned with `params`; `stderr()` is what it logged. */
export async function connectStdio(params: StdioServerParameters) {
  const transport = new StdioClientTransport({ ...params, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'packaging-test', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    async close() {
      await client.close();
      recordOutput('server stderr', stderr);
    },
  };
}

/** `file` must be the generated sample invoice, inside a directory the server may read. */
export async function runDemoFlow(client: Client, file: string): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toEqual(TOOL_NAMES);
  const models = await client.callTool({ name: 'search_models', arguments: { model_type: 'extraction' } });
  expect(models.isError).toBeFalsy();
  const result = await client.callTool({ name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: file, max_wait_seconds: 30 } });
  recordOutput('demo flow', result);
  expect(result.isError).toBeFalsy();
  expect((result.structuredContent as { result: { fields: Record<string, unknown> } }).result.fields.invoice_number).toBe('INV-2026-0042');
}
