import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_WAIT_SECONDS } from '../src/config.js';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { DEFAULT_MAX_CHARS } from '../src/results/budget.js';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from './helpers/harness.js';
import { structuredOf } from './helpers/structured.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('tools/list', () => {
  it('matches the reviewed snapshots, one file per tool: names, descriptions, schemas, annotations', async () => {
    // The defaults a user gets: descriptions state the configured values.
    h = await startHarness({ settings: { maxWaitSeconds: DEFAULT_MAX_WAIT_SECONDS, maxResultChars: DEFAULT_MAX_CHARS } });
    const { tools } = await h.mcp.listTools();
    for (const tool of tools) {
      expect(Object.keys(tool.annotations ?? {}).sort()).toEqual(['destructiveHint', 'idempotentHint', 'openWorldHint', 'readOnlyHint', 'title']);
      expect(tool.outputSchema?.type).toBe('object');
      for (const [name, prop] of Object.entries(tool.inputSchema.properties ?? {}) as [string, { description?: string; type?: string; maximum?: number }][]) {
        expect(prop.description, `${tool.name}.${name}`).toBeTruthy();
        // A number a model may send has a real bound, not Number.MAX_SAFE_INTEGER.
        if (prop.type === 'number' || prop.type === 'integer') expect(prop.maximum, `${tool.name}.${name}`).toBeLessThanOrEqual(1_000_000);
      }
      // Tokens in every conversation that no model or host needs.
      expect(JSON.stringify(tool)).not.toContain('$schema');
      await expect(`${JSON.stringify(tool, null, 2)}\n`).toMatchFileSnapshot(`__snapshots__/tools/${tool.name}.json`);
    }
    // A removed or renamed tool leaves no stale snapshot behind.
    const stale = (await readdir(join(import.meta.dirname, '__snapshots__/tools'))).filter((file) => !tools.some((t) => file === `${t.name}.json`));
    expect(stale).toEqual([]);
    await expect(`${h.mcp.getInstructions()}\n`).toMatchFileSnapshot('__snapshots__/instructions.md');
  });

  it('states the configured defaults in the descriptions', async () => {
    h = await startHarness({
      settings: { maxWaitSeconds: 25, maxResultChars: 9_000, models: { defaultModelId: DEMO_MODELS.invoice, aliases: { invoice: DEMO_MODELS.invoice } } },
    });
    const { tools } = await h.mcp.listTools();
    const enqueue = tools.find((t) => t.name === 'enqueue_document')!;
    const props = enqueue.inputSchema.properties as Record<string, { description: string }>;
    expect(props.max_wait_seconds!.description).toContain('default 25');
    expect(props.max_chars!.description).toContain('default 9000');
    expect(props.model_id!.description).toContain('default invoice');
  });

  it('offers the workflow in its instructions', async () => {
    h = await startHarness();
    expect(h.mcp.getInstructions()).toMatch(/enqueue_document[\s\S]*get_job_status[\s\S]*get_inference_result/);
  });
});

describe('without an API key', () => {
  it('still lists its tools, and each call explains how to set the key or use the emulator', async () => {
    h = await startHarness({ client: { apiKey: undefined, missingKeyHint: 'Set MINDEE_V2_API_KEY, or start with --emulator.' } });
    expect((await h.mcp.listTools()).tools.length).toBe(6);
    const before = h.emulator.requests.length;
    const result = await h.call('get_job_status', { job_id: 'abc' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('No Mindee API key is configured.\nSet MINDEE_V2_API_KEY, or start with --emulator.');
    expect(h.emulator.requests.length).toBe(before);
  });
});

describe('errors', () => {
  it('turns an unexpected bug into a readable error and logs its stack to stderr', async () => {
    h = await startHarness();
    vi.spyOn(h.client, 'getJob').mockRejectedValueOnce(new TypeError('boom'));
    const result = await h.call('get_job_status', { job_id: 'abc' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('unexpected internal error in get_job_status: boom');
    expect(h.logs.some((l) => l.includes('TypeError: boom') && l.includes('at '))).toBe(true);
  });

  it('shows what was thrown when it is not an Error, in the answer and the log', async () => {
    h = await startHarness();
    vi.spyOn(h.client, 'getJob').mockRejectedValueOnce({ reason: 'socket gone' });
    const result = await h.call('get_job_status', { job_id: 'abc' });
    expect(textOf(result)).toContain("unexpected internal error in get_job_status: { reason: 'socket gone' }");
    expect(h.logs.some((l) => l.includes("{ reason: 'socket gone' }"))).toBe(true);
  });

  it('turns invalid arguments into a readable error', async () => {
    h = await startHarness();
    const result = await h.call('get_job_status', { job_id: 'abc', wait_seconds: 'soon' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/wait_seconds/);
  });
});

describe('MCP roots', () => {
  it('allows files under the client\'s roots, and follows roots/list_changed', async () => {
    h = await startHarness({ roots: true, allowedDirs: [] });
    const docs = join(h.dir, 'my docs');
    const other = join(h.dir, 'other');
    await mkdir(docs);
    await mkdir(other);
    await writeFile(join(docs, 'a.pdf'), makeSampleInvoicePdf());
    await writeFile(join(other, 'b.pdf'), makeSampleInvoicePdf());
    let roots = [{ uri: pathToFileURL(docs).href, name: 'docs' }];
    h.mcp.setRequestHandler(ListRootsRequestSchema, async () => ({ roots }));
    await h.mcp.sendRootsListChanged();
    await vi.waitFor(() => expect(h.deps.files.directories()).toEqual([docs]));

    const ok = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: join(docs, 'a.pdf') });
    expect(ok.isError, textOf(ok)).toBeFalsy();
    const refused = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: join(other, 'b.pdf') });
    expect(refused.isError).toBe(true);

    roots = [{ uri: pathToFileURL(other).href, name: 'other' }];
    await h.mcp.sendRootsListChanged();
    await vi.waitFor(() => expect(h.deps.files.directories()).toEqual([other]));
    const now = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: join(other, 'b.pdf') });
    expect(now.isError, textOf(now)).toBeFalsy();
    const gone = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: join(docs, 'a.pdf') });
    expect(gone.isError).toBe(true);
  });
});

describe('the key', () => {
  it('is redacted from results even when the API echoes it', async () => {
    h = await startHarness();
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    // An alias that is the key itself comes back in the job and the result.
    const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, alias: h.emulator.apiKey });
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result)).toContain('[redacted]');
    // The secret scan of test/setup/secrets.ts checks that the key itself appears nowhere.
  });

  it('is never sent to a result_url on another origin; the result is still reachable by id', async () => {
    const hits: Array<string | undefined> = [];
    const foreign = createServer((req, res) => {
      hits.push(req.headers.authorization);
      res.end('{}');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
    try {
      h = await startHarness();
      h.emulator.injectFault({ route: 'job', kind: 'foreign-result-url', origin, times: 1000 });
      const path = await h.write('a.pdf', makeSampleInvoicePdf());
      const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toContain(`on another origin (${origin})`);
      expect(textOf(result)).toContain('the API key was not sent there');
      const sc = structuredOf('enqueue_document', result);
      expect(sc.result).toBeNull();
      expect(sc.next_step).toContain('get_inference_result');
      const byId = await h.call('get_inference_result', { inference_id: sc.job.inference_id });
      expect(byId.isError, textOf(byId)).toBeFalsy();
      expect(hits).toEqual([]);
    } finally {
      foreign.close();
    }
  });
});
