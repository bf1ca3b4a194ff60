import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, USAGE, defaultStateDir, loadRules, parseCommand } from '../src/config.js';

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
    [{ MINDEE_MCP_MAX_WAIT: '900' }, /MINDEE_MCP_MAX_WAIT must be more than 0 and at most 590/],
    [{ MINDEE_MODEL_ID: 'invoice' }, /MINDEE_MODEL_ID must be a model UUID/],
    [{ MINDEE_MCP_MODELS: 'invoice:abc' }, /"invoice:abc" is not of the form alias=<model UUID>/],
    [{ MINDEE_MCP_MAX_RESULT_CHARS: '10' }, /at least 2000/],
    [{ MINDEE_MCP_STATE_DIR: 'cache/mindee' }, /MINDEE_MCP_STATE_DIR must be an absolute directory, or off/],
    [{ MINDEE_MCP_UPLOAD_DIR: 'uploads' }, /MINDEE_MCP_UPLOAD_DIR must be an absolute directory, e\.g\. \/mnt\/mindee-uploads/],
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
    expect(() => serve([], { MINDEE_MCP_RATE_WINDOW: '0' })).toThrow(/MINDEE_MCP_RATE_WINDOW must be more than 0 and at most/);
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

describe('remote server settings', () => {
  const KEY = { MINDEE_V2_API_KEY: 'md_server_key_0123456789' };
  const TOKEN = 'tok_0123456789abcdef0123';

  it('defaults to stdio; over HTTP the auth mode follows from what the server has', () => {
    expect(serve([])).toMatchObject({ transport: 'stdio', host: '127.0.0.1', port: 8080, logFormat: 'text', shutdownSeconds: 30 });
    expect(serve(['--transport', 'http']).auth).toBe('mindee-key');
    expect(serve(['--transport', 'http'], KEY).auth).toBe('none');
    expect(serve(['--transport', 'http'], { ...KEY, MINDEE_MCP_HTTP_TOKENS: TOKEN }).auth).toBe('token');
    expect(serve([], { MINDEE_MCP_TRANSPORT: 'HTTP', MINDEE_MCP_PORT: '9000', MINDEE_MCP_LOG_FORMAT: 'json' })).toMatchObject({ transport: 'http', port: 9000, logFormat: 'json' });
  });

  it.each([
    [['--transport', 'http', '--host', '0.0.0.0', '--auth', 'none', '--allowed-hosts', 'x'], KEY, /MINDEE_MCP_AUTH=none serves anyone .* loopback only/],
    [['--transport', 'http', '--host', '0.0.0.0'], KEY, /MINDEE_MCP_AUTH=none/],
    [['--transport', 'http', '--auth', 'token'], KEY, /needs MINDEE_MCP_HTTP_TOKENS/],
    [['--transport', 'http', '--auth', 'token'], { ...KEY, MINDEE_MCP_HTTP_TOKENS: 'short' }, /at least 16 characters/],
    [['--transport', 'http', '--auth', 'token'], { MINDEE_MCP_HTTP_TOKENS: TOKEN }, /makes calls with the server's own Mindee key: set MINDEE_V2_API_KEY/],
    [['--transport', 'http', '--auth', 'oauth'], KEY, /needs MINDEE_MCP_OAUTH_ISSUER[\s\S]*needs MINDEE_MCP_OAUTH_JWKS_URL[\s\S]*needs MINDEE_MCP_PUBLIC_URL/],
    [['--transport', 'http', '--host', '0.0.0.0', '--auth', 'mindee-key'], {}, /set MINDEE_MCP_ALLOWED_HOSTS/],
    [['--transport', 'http', '--webhook-port', '9'], KEY, /MINDEE_MCP_WEBHOOK_PORT is for stdio mode/],
    [['--webhook-port', '9'], KEY, /MINDEE_MCP_WEBHOOK_PORT needs MINDEE_WEBHOOK_SECRET/],
    [['--transport', 'ws'], {}, /MINDEE_MCP_TRANSPORT must be stdio or http/],
    [[], { MINDEE_MCP_WEBHOOK_IDS: 'abc' }, /MINDEE_MCP_WEBHOOK_IDS must list webhook UUIDs/],
    [[], { MINDEE_MCP_PUBLIC_URL: 'https://x.test/?q=1' }, /MINDEE_MCP_PUBLIC_URL must be an http\(s\) URL/],
  ])('explains what a remote setup lacks: %j', (argv, env, message) => {
    expect(() => serve(argv, env)).toThrow(ConfigError);
    expect(() => serve(argv, env)).toThrow(message);
  });

  it('never prints a token or a webhook secret back', () => {
    const env = { MINDEE_MCP_HTTP_TOKENS: 'tok_secret_value_abcdefgh', MINDEE_WEBHOOK_SECRET: 'whsec_secret_value_1234', MINDEE_MCP_PORT: 'tok_secret_value_abcdefgh' };
    expect(() => serve(['--transport', 'http'], env)).toThrow(ConfigError);
    try {
      serve(['--transport', 'http'], env);
    } catch (error) {
      expect(String(error)).not.toContain('tok_secret_value');
    }
  });

  it('takes a public URL as the allowed host on another interface, and several webhook secrets', () => {
    const config = serve(['--transport', 'http', '--host', '0.0.0.0', '--auth', 'mindee-key', '--public-url', 'https://mcp.example.com/'], {
      MINDEE_WEBHOOK_SECRET: 'a, b',
      MINDEE_MCP_WEBHOOK_IDS: 'F48FF885-61FB-4A90-AAF3-B5350CA2D76A',
    });
    expect(config).toMatchObject({ publicUrl: 'https://mcp.example.com', webhookSecrets: ['a', 'b'], webhookIds: ['F48FF885-61FB-4A90-AAF3-B5350CA2D76A'] });
  });
});

describe('where learned poll timings are kept', () => {
  it('in the user cache directory by default; MINDEE_MCP_STATE_DIR or --state-dir elsewhere; off nowhere', () => {
    const env = { XDG_CACHE_HOME: '/home/u/.xdg-cache' };
    expect(serve([], env).stateDir).toBe(defaultStateDir(env));
    expect(serve([], { MINDEE_MCP_STATE_DIR: '/var/cache/mcp' }).stateDir).toBe('/var/cache/mcp');
    expect(serve(['--state-dir', '/tmp/x'], { MINDEE_MCP_STATE_DIR: '/var/cache/mcp' }).stateDir).toBe('/tmp/x');
    expect(serve([], { MINDEE_MCP_STATE_DIR: '~/mcp-state' }).stateDir).toBe(join(homedir(), 'mcp-state'));
    expect(serve([], { MINDEE_MCP_STATE_DIR: 'off' }).stateDir).toBeNull();
    expect(serve(['--state-dir', 'OFF']).stateDir).toBeNull();
    // The emulator's simulated models teach nothing worth keeping, unless asked.
    expect(serve(['--emulator']).stateDir).toBeNull();
    expect(serve(['--emulator'], { MINDEE_MCP_STATE_DIR: '/tmp/y' }).stateDir).toBe('/tmp/y');
    expect(USAGE).toContain('MINDEE_MCP_STATE_DIR');
  });

  it('follows each platform\'s convention for the cache directory', () => {
    expect(defaultStateDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux', '/home/u')).toBe('/x/cache/mindee-mcp');
    expect(defaultStateDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/mindee-mcp');
    // The XDG spec: a relative value is ignored.
    expect(defaultStateDir({ XDG_CACHE_HOME: 'rel/cache' }, 'freebsd', '/home/u')).toBe('/home/u/.cache/mindee-mcp');
    expect(defaultStateDir({ XDG_CACHE_HOME: '/x/cache' }, 'darwin', '/Users/u')).toBe('/Users/u/Library/Caches/mindee-mcp');
    expect(defaultStateDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Local\\mindee-mcp');
    expect(defaultStateDir({}, 'win32', 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Local\\mindee-mcp');
  });
});

describe('forms that leave a field blank', () => {
  it('ignore an empty directory argument, as a host sends for an empty optional folder', () => {
    const command = parseCommand(['', '  '], {});
    expect(command.kind === 'serve' && command.config.allowedDirs).toEqual([]);
  });
});

describe('verified results (issue 18)', () => {
  it('asks for confidences and locations, and reviews below High, unless told otherwise', () => {
    expect(serve([])).toMatchObject({ sendConfidence: true, sendPolygon: true, minConfidence: 'High', rulesFile: undefined });
    expect(serve(['--min-confidence', 'medium', '--rules', '/etc/rules.yaml'], { MINDEE_MCP_CONFIDENCE: 'off', MINDEE_MCP_POLYGON: 'false' })).toMatchObject({
      sendConfidence: false,
      sendPolygon: false,
      minConfidence: 'Medium',
      rulesFile: '/etc/rules.yaml',
    });
    expect(serve([], { MINDEE_MCP_MIN_CONFIDENCE: 'Low', MINDEE_MCP_RULES: '/r.json', MINDEE_MCP_CONFIDENCE: 'on' })).toMatchObject({ minConfidence: 'Low', rulesFile: '/r.json', sendConfidence: true });
  });

  it.each([
    [{ MINDEE_MCP_MIN_CONFIDENCE: 'Sure' }, 'MINDEE_MCP_MIN_CONFIDENCE must be one of Certain, High, Medium, Low'],
    [{ MINDEE_MCP_CONFIDENCE: 'maybe' }, 'MINDEE_MCP_CONFIDENCE must be on or off'],
    [{ MINDEE_MCP_POLYGON: '2' }, 'MINDEE_MCP_POLYGON must be on or off'],
  ])('refuses %j, naming the setting', (env, message) => {
    expect(() => serve([], env)).toThrow(message);
  });

  it('reads the rules file with the aliases in force, and refuses a bad one naming the file, the rule and the fault', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'mindee-mcp-rules-'));
    try {
      const good = join(dir, 'rules.yaml');
      await writeFile(good, 'invoice:\n  required: [invoice_number]\n');
      expect(await loadRules(undefined, {})).toBeNull();
      expect((await loadRules(good, { invoice: '11111111-2222-4333-8444-555555555555' }))!.models).toEqual(['invoice']);
      await expect(loadRules(good, {})).rejects.toThrow(new ConfigError(`MINDEE_MCP_RULES: ${good}: invoice: "invoice" is neither a model UUID nor an alias of MINDEE_MCP_MODELS.`));
      await expect(loadRules(join(dir, 'none.yaml'), {})).rejects.toThrow(/^MINDEE_MCP_RULES: cannot read the rules file ".*none\.yaml" \(ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
