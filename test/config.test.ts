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

  it('reads the shared-state settings: a Redis URL (never echoed when wrong), a rate scope, a rate window', () => {
    expect(serve([])).toMatchObject({ redisUrl: undefined, rateScope: undefined, rateWindowSeconds: 60 });
    expect(
      serve(['--rate-scope', 'acme-prod', '--rate-window', '2'], { MINDEE_MCP_REDIS_URL: 'rediss://mcp:pw@redis.internal:6380/2', MINDEE_MCP_RATE_SCOPE: 'ignored' }),
    ).toMatchObject({ redisUrl: 'rediss://mcp:pw@redis.internal:6380/2', rateScope: 'acme-prod', rateWindowSeconds: 2 });
    expect(serve(['--redis-url', 'redis://127.0.0.1:6380']).redisUrl).toBe('redis://127.0.0.1:6380');
    for (const bad of ['http://user:hunter2secret@host', 'redis//nohost', 'redis://']) {
      let message = '';
      try {
        serve([], { MINDEE_MCP_REDIS_URL: bad });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message).toContain('MINDEE_MCP_REDIS_URL must be a redis:// or rediss:// URL');
      expect(message).not.toContain('hunter2secret');
    }
    expect(() => serve([], { MINDEE_MCP_RATE_SCOPE: 'has spaces' })).toThrow(/MINDEE_MCP_RATE_SCOPE must be/);
    expect(() => serve([], { MINDEE_MCP_RATE_WINDOW: '0' })).toThrow(/MINDEE_MCP_RATE_WINDOW must be between/);
  });

  it('refuses unknown flags with the usage, and takes no key on the command line', () => {
    expect(() => serve(['--api-key', 'md_x'])).toThrow(/Unknown option '--api-key'[\s\S]*Usage: mindee-mcp/);
  });

  it('routes help, version and the emulator subcommand', () => {
    expect(parseCommand(['--help'], {}).kind).toBe('help');
    expect(parseCommand(['-v'], {}).kind).toBe('version');
    expect(parseCommand(['emulator', '--port', '9'], {})).toEqual({ kind: 'emulator', argv: ['--port', '9'] });
  });
});
