import { delimiter } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseCommand } from '../src/config.js';

const serve = (argv: string[], env: Record<string, string> = {}) => {
  const c = parseCommand(argv, env);
  if (c.kind !== 'serve') throw new Error(`expected serve, got ${c.kind}`);
  return c.config;
};

describe('parseCommand', () => {
  it('has sensible defaults', () => {
    expect(serve([])).toMatchObject({
      apiKey: undefined,
      baseUrl: 'https://api-v2.mindee.net',
      requestTimeoutSeconds: 120,
      maxWaitSeconds: 40,
      allowedDirs: [],
      emulator: false,
      allowHardLinks: false,
      modelAliases: {},
      maxResultChars: 20_000,
      maxPostsPerMinute: 180,
      maxGetsPerMinute: 1080,
    });
  });

  it('reads every setting from the environment, and lets flags win', () => {
    const env = {
      MINDEE_V2_API_KEY: ' md_abc ',
      MINDEE_V2_BASE_URL: 'http://localhost:8080/',
      MINDEE_REQUEST_TIMEOUT: '30',
      MINDEE_MCP_MAX_WAIT: '20',
      MINDEE_MCP_ALLOWED_DIRS: ['/a', '/b'].join(delimiter),
      MINDEE_MODEL_ID: '90b0501c-f03f-478a-a132-3a0a2e57dce3',
      MINDEE_MCP_MODELS: 'Invoice=90b0501c-f03f-478a-a132-3a0a2e57dce3, receipt = e8fb2b1b-c37b-4498-8cfd-511a9b894c4d',
      MINDEE_MCP_MAX_RESULT_CHARS: '5000',
      MINDEE_MCP_MAX_GETS_PER_MINUTE: '600',
      MINDEE_MCP_EMULATOR: 'true',
      MINDEE_MCP_ALLOW_HARD_LINKS: '1',
    };
    const c = serve(['/c', '--max-wait', '10'], env);
    expect(c).toMatchObject({
      apiKey: 'md_abc',
      baseUrl: 'http://localhost:8080',
      requestTimeoutSeconds: 30,
      maxWaitSeconds: 10,
      allowedDirs: ['/c', '/a', '/b'],
      defaultModelId: '90b0501c-f03f-478a-a132-3a0a2e57dce3',
      modelAliases: { invoice: '90b0501c-f03f-478a-a132-3a0a2e57dce3', receipt: 'e8fb2b1b-c37b-4498-8cfd-511a9b894c4d' },
      maxResultChars: 5000,
      maxGetsPerMinute: 600,
      emulator: true,
      allowHardLinks: true,
    });
    expect(serve(['--allow-hard-links']).allowHardLinks).toBe(true);
  });

  it.each([
    [{ MINDEE_V2_BASE_URL: 'ftp://x' }, /MINDEE_V2_BASE_URL must be an http\(s\) URL/],
    [{ MINDEE_V2_BASE_URL: 'https://user:pw@x' }, /without credentials/],
    [{ MINDEE_REQUEST_TIMEOUT: 'soon' }, /MINDEE_REQUEST_TIMEOUT must be/],
    [{ MINDEE_MCP_MAX_WAIT: '900' }, /MINDEE_MCP_MAX_WAIT must be between 0 and 590/],
    [{ MINDEE_MODEL_ID: 'invoice' }, /MINDEE_MODEL_ID must be a model UUID/],
    [{ MINDEE_MCP_MODELS: 'invoice:abc' }, /"invoice:abc" is not of the form alias=<model UUID>/],
    [{ MINDEE_MCP_MAX_RESULT_CHARS: '10' }, /at least 2000/],
  ])('explains a bad value: %o', (env, message) => {
    expect(() => serve([], env)).toThrow(ConfigError);
    expect(() => serve([], env)).toThrow(message);
  });

  it('refuses unknown flags with the usage, and takes no key on the command line', () => {
    expect(() => serve(['--api-key', 'md_x'])).toThrow(/Unknown option '--api-key'[\s\S]*Usage: mindee-mcp/);
  });

  it('routes help, version and the emulator subcommand', () => {
    expect(parseCommand(['--help'], {}).kind).toBe('help');
    expect(parseCommand(['-v'], {}).kind).toBe('version');
    expect(parseCommand(['emulator', '--port', '9'], {})).toEqual({ kind: 'emulator', argv: ['--port', '9'] });
  });

  it('runs the emulator with MINDEE_MCP_EMULATOR=auto only when no key is set', () => {
    expect(serve([], { MINDEE_MCP_EMULATOR: 'auto' }).emulator).toBe(true);
    expect(serve([], { MINDEE_MCP_EMULATOR: 'auto', MINDEE_V2_API_KEY: ' ' }).emulator).toBe(true);
    expect(serve([], { MINDEE_MCP_EMULATOR: 'auto', MINDEE_V2_API_KEY: 'md_real' }).emulator).toBe(false);
  });

  it('hands the doctor the settings, or what is wrong with them', () => {
    const ok = parseCommand(['doctor', '--max-wait', '30', '/docs'], {});
    expect(ok).toMatchObject({ kind: 'doctor', config: { maxWaitSeconds: 30, allowedDirs: ['/docs'] } });
    const bad = parseCommand(['doctor'], { MINDEE_MCP_MAX_WAIT: 'soon' });
    expect(bad).toEqual({ kind: 'doctor', config: { problem: expect.stringContaining('MINDEE_MCP_MAX_WAIT must be a number of seconds') } });
  });
});
