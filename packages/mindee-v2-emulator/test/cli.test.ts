import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { DEMO_MODELS, DEMO_WEBHOOKS, parseEmulatorArgs, runEmulatorCli, startEmulator } from '../src/index.js';
import type { EmulatorCliIo } from '../src/index.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const codes: number[] = [];
  return { out, err, codes, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), exit: (c: number) => codes.push(c) } };
}

/** Runs the CLI until its "listening" line, then hands back its URL and a way to stop it. */
async function serve(argv: string[], io: Partial<EmulatorCliIo> = {}) {
  const c = capture();
  const stop = new AbortController();
  const running = runEmulatorCli(argv, { ...c.io, ...io, signal: stop.signal });
  await expect.poll(() => c.out.length + c.codes.length).toBe(1);
  const url = /on (\S+) /.exec(c.out[0] ?? '')?.[1] ?? '';
  return {
    ...c,
    url,
    stop: async () => {
      stop.abort();
      await running;
    },
  };
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulator-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('mindee-v2-emulator (CLI)', () => {
  it('prints usage with the demo model ids for --help, naming the command it runs as', async () => {
    const c = capture();
    await runEmulatorCli(['--help'], c.io);
    expect(c.out.join('')).toContain('Usage: mindee-v2-emulator [options]');
    expect(c.out.join('')).toContain(DEMO_MODELS.invoice);
    expect(c.out.join('')).toMatch(/--webhook-url U .*\n.*--models-file F/);
    expect(c.codes).toEqual([]);
    const embedded = capture();
    await runEmulatorCli(['--port', 'x'], { ...embedded.io, command: 'mindee-mcp emulator' });
    expect(embedded.err.join('')).toMatch(/^mindee-mcp emulator: --port must be a number.*\nRun "mindee-mcp emulator --help" for usage\.\n$/);
  });

  it('refuses bad flags with a clear message on stderr and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--bogus'], /bogus/],
      [['--port', 'abc'], /--port must be a number/],
      [['--port', '70000'], /--port must be at most 65535/],
      [['--port', '1.5'], /whole number/],
      [['--processing-ms=-1'], /at least 0/],
      [['--public-base-url', 'ftp://x'], /http\(s\) URL/],
      [['--api-key', ''], /api-key/],
      [['--webhook-url', 'receiver.local/hooks'], /--webhook-url must be an http\(s\) URL/],
      [['--models-file', ' '], /--models-file must name a file/],
      [['stray'], /stray|positional/i],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      await runEmulatorCli(argv, c.io);
      expect(c.codes, argv.join(' ')).toEqual([2]);
      expect(c.err.join(''), argv.join(' ')).toMatch(message);
      expect(c.out).toEqual([]);
    }
  });

  it('parses every option, and tolerates the subcommand name in argv', () => {
    expect(
      parseEmulatorArgs([
        'emulator', '--port', '8080', '--host', '0.0.0.0', '--api-key', 'md_k', '--public-base-url', 'https://x.example/m',
        '--processing-ms', 'Infinity', '--result-ttl-ms', '5000', '--no-rate-limit', '--webhook-secret', 'whsec',
        '--webhook-url', 'http://localhost:3000/hooks', '--models-file', 'models.json',
      ]),
    ).toEqual({
      help: false,
      verbose: false,
      modelsFile: 'models.json',
      options: {
        webhookSecret: 'whsec',
        webhookUrl: 'http://localhost:3000/hooks',
        port: 8080,
        host: '0.0.0.0',
        apiKey: 'md_k',
        publicBaseUrl: 'https://x.example/m',
        processingMs: Infinity,
        resultTtlMs: 5000,
        rateLimits: false,
      },
    });
  });

  it('--webhook-url: the demo webhooks deliver to the receiver', async () => {
    const run = await serve(['--webhook-url', 'http://127.0.0.1:9/hooks', '--processing-ms', 'Infinity']);
    const res = await request(`${run.url}/v2/search/models?model_type=extraction&name=invoice`, { headers: { authorization: 'md_emulator_local_key' } });
    const body = (await res.body.json()) as { models: { id: string; webhooks: { id: string; url: string }[] }[] };
    const invoice = body.models.find((m) => m.id === DEMO_MODELS.invoice);
    expect(invoice?.webhooks).toEqual([
      expect.objectContaining({ id: DEMO_WEBHOOKS.invoiceSuccess, url: 'http://127.0.0.1:9/hooks' }),
      expect.objectContaining({ id: DEMO_WEBHOOKS.invoiceAudit, url: 'http://127.0.0.1:9/hooks' }),
    ]);
    await run.stop();
  });

  it('--models-file: serves the models of the file, their webhooks included', async () => {
    const file = join(dir, 'models.json');
    const model = { id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', name: 'Purchase orders', model_type: 'extraction' };
    const webhooks = [{ id: '1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e', name: 'Local receiver', url: 'http://127.0.0.1:9/po' }];
    await writeFile(file, JSON.stringify({ models: [{ ...model, webhooks, fields: [{ name: 'po_number', type: 'string' }] }] }));
    const run = await serve(['--models-file', file]);
    const res = await request(`${run.url}/v2/search/models`, { headers: { authorization: 'md_emulator_local_key' } });
    expect(((await res.body.json()) as { models: unknown[] }).models).toEqual([{ ...model, webhooks }]);
    await run.stop();
  });

  it('--models-file: a bad file stops it with exit code 2, naming the file, the entry and the key', async () => {
    const file = join(dir, 'bad-models.json');
    await writeFile(file, JSON.stringify({ models: [{ id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', name: 'Receipts', model_type: 'extraction', webhooks: [{ id: 'nope', name: 'x', url: 'http://x' }] }] }));
    const c = capture();
    await runEmulatorCli(['--models-file', file], c.io);
    expect(c.codes).toEqual([2]);
    expect(c.err.join('')).toBe(`mindee-v2-emulator: ${file}: models[0] ("Receipts"): webhooks[0].id: must be a UUID\n`);
    expect(c.out).toEqual([]);
    const missing = capture();
    await runEmulatorCli(['--models-file', join(dir, 'absent.json')], missing.io);
    expect(missing.codes).toEqual([2]);
    expect(missing.err.join('')).toContain('absent.json: cannot read the models file (ENOENT)');
  });

  it('serves until stopped, announcing itself in one line', async () => {
    const c = capture();
    const stop = new AbortController();
    const running = runEmulatorCli(['--port', '0', '--api-key', 'md_cli_key', '--processing-ms', '0'], { ...c.io, signal: stop.signal });
    await expect.poll(() => c.out.length).toBe(1);
    const line = c.out[0] as string;
    expect(line).toMatch(/^Mindee v2 emulator listening on http:\/\/127\.0\.0\.1:\d+ \(API key: md_cli_key\)\n$/);
    const url = /on (\S+) /.exec(line)?.[1] as string;
    const res = await request(`${url}/v2/search/models`, { headers: { authorization: 'md_cli_key' } });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    stop.abort();
    await running;
    expect(c.codes).toEqual([]);
  });

  it('exits 1 when it cannot listen', async () => {
    const busy = await startEmulator();
    const port = new URL(busy.url).port;
    const c = capture();
    await runEmulatorCli(['--port', port], c.io);
    await busy.close();
    expect(c.codes).toEqual([1]);
    expect(c.err.join('')).toMatch(/could not start/);
  });
});
