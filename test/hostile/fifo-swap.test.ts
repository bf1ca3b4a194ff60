/**
 * Issue 9, item 8: a named pipe swapped in for a checked file must not freeze the server. The
 * built server runs in its own process (a frozen event loop there cannot freeze the test), while
 * another process flips `race.pdf` between a real PDF and a FIFO that nobody writes to. Every
 * call gets an answer, and the server keeps answering other calls.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { recordOutput } from '../setup/secrets.js';
import { startFlipping, type Racer } from './helpers/racer.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const CALLS = 150;
/** Far above any answer of a live server; only a frozen one reaches it. */
const FROZEN_MS = 10_000;

let dir: string | undefined;
let racer: Racer | undefined;
let client: Client | undefined;
afterEach(async () => {
  await racer?.stop();
  await client?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform === 'win32')('a FIFO swapped in for a checked file', () => {
  it('is refused clearly, and the server keeps answering', { timeout: 120_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it first).');
    dir = await realpath(await mkdtemp(join(tmpdir(), 'mindee-fifo-')));
    const regular = join(dir, '.race-regular.pdf');
    const fifo = join(dir, '.race-fifo.pdf');
    await writeFile(regular, makeSampleInvoicePdf());
    execFileSync('mkfifo', [fifo]);

    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, '--emulator', dir], env: { MINDEE_MCP_EMULATOR_PROCESSING_MS: '0' }, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    client = new Client({ name: 'hostile', version: '1.0.0' });
    await client.connect(transport);
    racer = await startFlipping(join(dir, 'race.pdf'), regular, fifo);

    const texts: string[] = [];
    for (let i = 0; i < CALLS; i++) {
      const r = (await client.callTool({ name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: 'race.pdf', wait: false } }, undefined, { timeout: FROZEN_MS })) as CallToolResult;
      const text = r.content[0]?.type === 'text' ? r.content[0].text : '';
      expect(text).not.toMatch(/internal error/);
      texts.push(text);
      const other = await client.callTool({ name: 'search_models', arguments: { name: 'invoice' } }, undefined, { timeout: FROZEN_MS });
      expect(other.isError).toBeFalsy();
    }
    await racer.stop();
    recordOutput('server stderr', stderr);
    expect(texts.some((t) => t.includes('a named pipe (FIFO), not a regular file'))).toBe(true);
  });
});
