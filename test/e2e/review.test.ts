/**
 * A result that needs review, from the built server as hosts and teams run it: over stdio with a
 * rules file, and over Streamable HTTP; and a bad rules file refused at start. `npm test` builds
 * dist first.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { CLI, spawnServer } from '../helpers/spawned.js';
import { recordOutput } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

let dir: string;
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it first).');
  dir = await realpath(await mkdtemp(join(tmpdir(), 'mindee-mcp-e2e-review-')));
  await writeFile(join(dir, 'invoice.pdf'), makeSampleInvoicePdf());
  // The emulator's invoice has no PO number, and its totals add up to more than 100.
  await writeFile(join(dir, 'rules.yaml'), 'invoice:\n  required: [po_number]\n  checks:\n    - name: under the approval limit\n      expr: total_amount <= 100\n      path: total_amount\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a result that needs review, from the spawned server', () => {
  it('over stdio, with a rules file: the verdict first, the rule named, the value located', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, '--emulator', '--rules', join(dir, 'rules.yaml'), '--min-confidence', 'Low', dir],
      env: { MINDEE_MCP_STATE_DIR: 'off', MINDEE_MCP_EMULATOR_PROCESSING_MS: '50', PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'e2e-review', version: '1.0.0' });
    await client.connect(transport);
    try {
      const result = (await client.callTool({ name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: 'invoice.pdf' } })) as CallToolResult;
      recordOutput('e2e review', result);
      expect(result.isError).toBeFalsy();
      const review = structuredOf('enqueue_document', result).result!.review;
      expect(review!.verdict).toBe('needs_review');
      expect(review!.issues.map((i) => `${i.kind} ${i.path}`)).toEqual(['failed_check total_amount', 'missing po_number']);
      expect(review!.issues[0]).toMatchObject({ page: 1, box: expect.any(Array) });
      const text = (result.content[0] as { text: string }).text;
      expect(text.split('\n')[0]).toBe('Needs review (2): rule "under the approval limit" failed: total_amount <= 100; po_number is missing (required by the rules)');
      expect(text.split('\n')[1]).toMatch(/^Where: total_amount p1 \[[\d., ]+\]$/);
    } finally {
      await client.close();
      recordOutput('server stderr', stderr);
    }
  });

  it('over Streamable HTTP: the verdict in the answer and again when the result is read', async () => {
    const server = await spawnServer(['--transport', 'http', '--port', '0', '--emulator', '--auth', 'none'], { MINDEE_MCP_EMULATOR_PROCESSING_MS: '50', MINDEE_MCP_STATE_DIR: 'off' });
    try {
      const client = new Client({ name: 'e2e-review-http', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
      const result = (await client.callTool({ name: 'enqueue_document', arguments: { model_id: 'invoice', file_base64: makeSampleInvoicePdf({ confidence: { purchase_category: 'Low' } }).toString('base64'), filename: 'inv.pdf' } })) as CallToolResult;
      recordOutput('e2e review http', result);
      const sc = structuredOf('enqueue_document', result);
      // Asked for by default: the document has the emulator rate a value Low, below the default threshold (High).
      expect(sc.result!.active_options).toMatchObject({ confidence: true, polygon: true });
      expect(sc.result!.review!.verdict).toBe('needs_review');
      expect(sc.result!.review!.issues.every((i) => i.kind === 'low_confidence')).toBe(true);
      expect((result.content[0] as { text: string }).text).toMatch(/^Needs review \(\d+\): /);
      const again = (await client.callTool({ name: 'get_inference_result', arguments: { inference_id: sc.result!.inference_id } })) as CallToolResult;
      expect(structuredOf('get_inference_result', again).review).toEqual(sc.result!.review);
      await client.close();
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('refuses to start with a bad rules file, naming the file, the rule and the fault', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'invoice:\n  fields:\n    total_amount: { min: 10, max: 1 }\n');
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, '--emulator', dir], { env: { PATH: process.env.PATH, MINDEE_MCP_RULES: bad, MINDEE_MCP_STATE_DIR: 'off' } }, (error, _stdout, err) => {
        recordOutput('server stderr', err);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr: err });
      });
    });
    expect(code).toBe(1);
    expect(stderr).toBe(`mindee-mcp: MINDEE_MCP_RULES: ${bad}: invoice.fields.total_amount: min 10 is above max 1.\n`);
  });
});
