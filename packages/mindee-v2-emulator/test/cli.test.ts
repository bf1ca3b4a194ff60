import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { DEMO_MODELS, parseEmulatorArgs, runEmulatorCli, startEmulator } from '../../src/emulator/index.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const codes: number[] = [];
  return { out, err, codes, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), exit: (c: number) => codes.push(c) } };
}

describe('mindee-mcp emulator (CLI)', () => {
  it('prints usage with the demo model ids for --help', async () => {
    const c = capture();
    await runEmulatorCli(['--help'], c.io);
    expect(c.out.join('')).toContain('Usage: mindee-mcp emulator');
    expect(c.out.join('')).toContain(DEMO_MODELS.invoice);
    expect(c.codes).toEqual([]);
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
      parseEmulatorArgs(['emulator', '--port', '8080', '--host', '0.0.0.0', '--api-key', 'md_k', '--public-base-url', 'https://x.example/m', '--processing-ms', 'Infinity', '--result-ttl-ms', '5000', '--no-rate-limit']),
    ).toEqual({
      help: false,
      verbose: false,
      options: {
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
