/**
 * Every setting in one place: environment variables with matching CLI flags, checked by one
 * zod schema whose messages name the setting to fix.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, posix, win32 } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_BASE_URL } from './client/mindee-client.js';
import { UUID_PATTERN } from './client/schemas.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from './client/transport.js';
import type { LogLevel } from './log.js';
import { createRedactor } from './redact.js';
import { DEFAULT_MAX_CHARS, MAX_MAX_CHARS, MIN_MAX_CHARS } from './results/budget.js';
import { DEFAULT_RATE_LIMITS } from './state/rate-budget.js';
import { DEFAULT_RESULT_STORE } from './state/result-store.js';
import { quote } from './text.js';
import { CONFIDENCE_LEVELS, MAX_RULES_FILE_BYTES, loadRuleSet, RulesError, type RuleSet } from './verify/index.js';

/** Hosts cut a tool call off at about 60 s: a blocking wait stays well under by default. */
export const DEFAULT_MAX_WAIT_SECONDS = 40;
/** Mindee stops an inference after 590 s: no wait needs to be longer. */
export const MAX_WAIT_SECONDS = 590;
/** Gap between progress notifications while a call waits: hosts reset their time-outs on each. */
export const HEARTBEAT_MS = 2500;
/** How long a job of the in-process emulator takes by default. */
export const DEFAULT_EMULATOR_PROCESSING_MS = 1500;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[];

const seconds = (name: string, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number of seconds` })
    .refine((n) => Number.isFinite(n) && n > 0 && n <= max, { error: `${name} must be more than 0 and at most ${max} seconds` });

/** A whole number setting, at least `min`, whose messages name its variable. */
const count = (name: string, min: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, min === 0 ? `${name} must be 0 or more` : `${name} must be at least ${min}`);

/** A comma-separated list (empty entries dropped). */
const list = (name: string, max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((e) => e.trim()).filter(Boolean))
    .refine((v) => v.length <= max, `${name} takes at most ${max} entries`);

/** An on/off setting: on, off, true, false, yes, no, 1, 0. */
const onOff = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .refine((v) => v === undefined || v === '' || /^(on|off|true|false|yes|no|1|0)$/.test(v), `${name} must be on or off`)
    .transform((v) => (v === undefined || v === '' ? undefined : /^(on|true|yes|1)$/.test(v)));

const httpUrl = (name: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v.replace(/\/+$/, '') : undefined))
    .refine((v) => {
      if (v === undefined) return true;
      try {
        const u = new URL(v);
        return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && !u.search && !u.hash;
      } catch {
        return false;
      }
    }, `${name} must be an http(s) URL without credentials, query or fragment`);

export const TRANSPORTS = ['stdio', 'http'] as const;
export const AUTH_MODES = ['mindee-key', 'token', 'oauth', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
const LOG_FORMATS = ['text', 'json'] as const;
/** Shortest bearer token accepted in MINDEE_MCP_HTTP_TOKENS: anything shorter is guessable. */
export const MIN_TOKEN_CHARS = 16;
export const DEFAULT_HTTP_PORT = 8080;
export const DEFAULT_SHUTDOWN_SECONDS = 30;
export const DEFAULT_MAX_BODY_MB = 8;
export const DEFAULT_MAX_CONCURRENT_CALLS = 8;
export const DEFAULT_HTTP_TIMEOUT_SECONDS = 300;
export const DEFAULT_WEBHOOK_FALLBACK_SECONDS = 15;

/** The settings of the remote (HTTP) server and of webhooks (issue 10). */
const remoteSettings = {
  transport: z.enum(TRANSPORTS, { error: 'MINDEE_MCP_TRANSPORT must be stdio or http' }).default('stdio'),
  host: z.string().trim().min(1, 'MINDEE_MCP_HOST must not be empty').default('127.0.0.1'),
  port: count('MINDEE_MCP_PORT', 0).max(65535, 'MINDEE_MCP_PORT must be at most 65535').default(DEFAULT_HTTP_PORT),
  /** Resolved by resolveRemote when not given. */
  auth: z.enum(AUTH_MODES, { error: `MINDEE_MCP_AUTH must be one of ${AUTH_MODES.join(', ')}` }).optional(),
  httpTokens: z.array(z.string()).default([]),
  oauthJwksUrl: httpUrl('MINDEE_MCP_OAUTH_JWKS_URL'),
  oauthIssuer: z.string().trim().optional().transform((v) => (v ? v : undefined)),
  publicUrl: httpUrl('MINDEE_MCP_PUBLIC_URL'),
  allowedHosts: list('MINDEE_MCP_ALLOWED_HOSTS', 100).transform((v) => v.map((h) => h.toLowerCase())),
  shutdownSeconds: seconds('MINDEE_MCP_SHUTDOWN_SECONDS', 3600).default(DEFAULT_SHUTDOWN_SECONDS),
  logFormat: z.enum(LOG_FORMATS, { error: 'MINDEE_MCP_LOG_FORMAT must be text or json' }).default('text'),
  maxBodyMegabytes: z.coerce
    .number({ error: 'MINDEE_MCP_MAX_BODY_MB must be a number' })
    .min(1, 'MINDEE_MCP_MAX_BODY_MB must be at least 1')
    .max(200, 'MINDEE_MCP_MAX_BODY_MB must be at most 200')
    .default(DEFAULT_MAX_BODY_MB),
  maxConcurrentCalls: count('MINDEE_MCP_MAX_CONCURRENT_CALLS', 1).default(DEFAULT_MAX_CONCURRENT_CALLS),
  httpTimeoutSeconds: seconds('MINDEE_MCP_HTTP_TIMEOUT', 3600).default(DEFAULT_HTTP_TIMEOUT_SECONDS),
  webhookSecrets: z.array(z.string().min(1)).default([]),
  webhookIds: list('MINDEE_MCP_WEBHOOK_IDS', 100).refine((v) => v.every((id) => UUID_PATTERN.test(id)), 'MINDEE_MCP_WEBHOOK_IDS must list webhook UUIDs'),
  webhookPort: count('MINDEE_MCP_WEBHOOK_PORT', 0).max(65535, 'MINDEE_MCP_WEBHOOK_PORT must be at most 65535').optional(),
  webhookFallbackSeconds: seconds('MINDEE_MCP_WEBHOOK_FALLBACK_SECONDS', MAX_WAIT_SECONDS).default(DEFAULT_WEBHOOK_FALLBACK_SECONDS),
};
/**
 * The user's cache directory for this program, where learned poll timings are kept:
 * $XDG_CACHE_HOME (or ~/.cache) on Linux and the BSDs, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'win32') return win32.join(env.LOCALAPPDATA || win32.join(home, 'AppData', 'Local'), 'mindee-mcp');
  if (platform === 'darwin') return posix.join(home, 'Library', 'Caches', 'mindee-mcp');
  // The XDG spec says a relative value is to be ignored.
  const xdg = env.XDG_CACHE_HOME;
  return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.cache'), 'mindee-mcp');
}

export const configSchema = z.object({
  ...remoteSettings,
  apiKey: z.string().trim().optional().transform((v) => (v ? v : undefined)),
  baseUrl: z
    .string()
    .trim()
    .default(DEFAULT_BASE_URL)
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
      } catch {
        return false;
      }
    }, 'MINDEE_V2_BASE_URL must be an http(s) URL without credentials, e.g. https://api-v2.mindee.net')
    .transform((v) => v.replace(/\/+$/, '')),
  requestTimeoutSeconds: seconds('MINDEE_REQUEST_TIMEOUT', 3600).default(120),
  maxWaitSeconds: seconds('MINDEE_MCP_MAX_WAIT', MAX_WAIT_SECONDS).default(DEFAULT_MAX_WAIT_SECONDS),
  allowedDirs: z.array(z.string().min(1)).default([]),
  emulator: z.boolean().default(false),
  allowHardLinks: z.boolean().default(false),
  defaultModelId: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || UUID_PATTERN.test(v), 'MINDEE_MODEL_ID must be a model UUID'),
  modelAliases: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const out: Array<[string, string]> = [];
      for (const entry of (v ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
        const m = /^([A-Za-z0-9_.-]+)\s*=\s*(\S+)$/.exec(entry);
        if (!m || !UUID_PATTERN.test(m[2]!)) {
          ctx.addIssue({ code: 'custom', message: `MINDEE_MCP_MODELS: ${quote(entry, 80)} is not of the form alias=<model UUID>` });
          continue;
        }
        out.push([m[1]!.toLowerCase(), m[2]!]);
      }
      // Defined, not assigned: an alias named "__proto__" is an alias like any other.
      return Object.fromEntries(out);
    }),
  maxPostsPerMinute: count('MINDEE_MCP_MAX_POSTS_PER_MINUTE', 1).default(DEFAULT_RATE_LIMITS.postPerMinute),
  maxGetsPerMinute: count('MINDEE_MCP_MAX_GETS_PER_MINUTE', 1).default(DEFAULT_RATE_LIMITS.getPerMinute),
  cacheResults: count('MINDEE_MCP_CACHE_RESULTS', 0).default(DEFAULT_RESULT_STORE.maxEntries),
  cacheMegabytes: z.coerce
    .number({ error: 'MINDEE_MCP_CACHE_MB must be a number' })
    .min(0, 'MINDEE_MCP_CACHE_MB must be 0 or more')
    .default(DEFAULT_RESULT_STORE.maxBytes / 1024 / 1024),
  cacheTtlSeconds: seconds('MINDEE_MCP_CACHE_TTL', 24 * 3600).default(DEFAULT_RESULT_STORE.ttlMs / 1000),
  maxResponseMegabytes: z.coerce
    .number({ error: 'MINDEE_MCP_MAX_RESPONSE_MB must be a number' })
    .min(1, 'MINDEE_MCP_MAX_RESPONSE_MB must be at least 1')
    .max(1024, 'MINDEE_MCP_MAX_RESPONSE_MB must be at most 1024')
    .default(DEFAULT_MAX_RESPONSE_BYTES / 1024 / 1024),
  logLevel: z.enum(LOG_LEVELS, { error: `MINDEE_MCP_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  emulatorProcessingMs: count('MINDEE_MCP_EMULATOR_PROCESSING_MS', 0).default(DEFAULT_EMULATOR_PROCESSING_MS),
  // The value is never echoed: it may carry a password.
  redisUrl: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => {
      if (v === undefined) return true;
      try {
        const u = new URL(v);
        return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname.length > 0;
      } catch {
        return false;
      }
    }, 'MINDEE_MCP_REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://user:password@redis.internal:6379'),
  rateScope: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || /^[A-Za-z0-9_.:-]{1,64}$/.test(v), 'MINDEE_MCP_RATE_SCOPE must be 1 to 64 letters, digits, ".", "_", ":" or "-"'),
  rateWindowSeconds: seconds('MINDEE_MCP_RATE_WINDOW', 3600).default(60),
  /** Where POST /uploads keeps documents: a directory every replica mounts; unset, a private one per process. */
  uploadDir: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || isAbsolute(v), 'MINDEE_MCP_UPLOAD_DIR must be an absolute directory, e.g. /mnt/mindee-uploads'),
  /** Where learned poll timings are kept; null keeps nothing. */
  stateDir: z
    .string()
    .trim()
    .nullable()
    .default(null)
    .transform((v) => (v === null || v.toLowerCase() === 'off' ? null : v === '~' || v.startsWith('~/') ? join(homedir(), v.slice(1)) : v))
    .refine((v) => v === null || isAbsolute(v), 'MINDEE_MCP_STATE_DIR must be an absolute directory, or off to keep no learned timings'),
  maxResultChars: count('MINDEE_MCP_MAX_RESULT_CHARS', MIN_MAX_CHARS)
    .max(MAX_MAX_CHARS, `MINDEE_MCP_MAX_RESULT_CHARS must be at most ${MAX_MAX_CHARS}`)
    .default(DEFAULT_MAX_CHARS),
  // Verified results (issue 18): what extraction enqueues ask for, what needs review, the rules file.
  sendConfidence: onOff('MINDEE_MCP_CONFIDENCE').transform((v) => v ?? true),
  sendPolygon: onOff('MINDEE_MCP_POLYGON').transform((v) => v ?? true),
  minConfidence: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v.charAt(0).toUpperCase() + v.slice(1).toLowerCase() : 'High'))
    .pipe(z.enum(CONFIDENCE_LEVELS, { error: `MINDEE_MCP_MIN_CONFIDENCE must be one of ${CONFIDENCE_LEVELS.join(', ')}` })),
  rulesFile: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : undefined)),
});
type ParsedConfig = z.infer<typeof configSchema>;
/** The settings, with the remote server's auth mode resolved. */
export type Config = Omit<ParsedConfig, 'auth'> & { auth: AuthMode };

export type Command =
  | { kind: 'serve'; config: Config }
  | { kind: 'doctor'; config: Config | { problem: string } }
  | { kind: 'emulator'; argv: string[] }
  | { kind: 'help' }
  | { kind: 'version' };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const USAGE = `Usage: mindee-mcp [options] [allowed-directory ...]
       mindee-mcp --transport http [--host H] [--port N] [--auth MODE] [options]
       mindee-mcp doctor [options] [allowed-directory ...]   checks the setup and says what to fix
       mindee-mcp emulator [--port N] [--host H] [--api-key K] [--public-base-url URL] [--processing-ms N]

An MCP server (stdio, or Streamable HTTP at /mcp) for Mindee's v2 document-inference API.

Options (each has an environment variable; the flag wins):
  --emulator               MINDEE_MCP_EMULATOR      Run against a built-in local emulator of the Mindee v2 API (no key, no
                           network); MINDEE_MCP_EMULATOR=auto: only when no key is set
  --base-url URL           MINDEE_V2_BASE_URL       API origin (default ${DEFAULT_BASE_URL})
  --request-timeout SECS   MINDEE_REQUEST_TIMEOUT   Per-request time-out (default 120)
  --max-wait SECS          MINDEE_MCP_MAX_WAIT      Default blocking wait of a tool call (default ${DEFAULT_MAX_WAIT_SECONDS})
  --model UUID             MINDEE_MODEL_ID          Model used when a call gives no model_id
  --models LIST            MINDEE_MCP_MODELS        Model aliases: invoice=<uuid>,receipt=<uuid>
  --max-result-chars N     MINDEE_MCP_MAX_RESULT_CHARS  Size budget of one result (default ${DEFAULT_MAX_CHARS})
  --rules FILE             MINDEE_MCP_RULES         Checks of your own per model (JSON or YAML), added to every verdict
  --min-confidence LEVEL   MINDEE_MCP_MIN_CONFIDENCE  Values rated below it need review: Certain, High (default), Medium, Low
                           MINDEE_MCP_CONFIDENCE    off: extraction enqueues do not ask for confidences (default on)
                           MINDEE_MCP_POLYGON       off: extraction enqueues do not ask for locations (default on)
  --max-posts-per-minute N MINDEE_MCP_MAX_POSTS_PER_MINUTE  Enqueues per minute (per process; with Redis per scope) (default ${DEFAULT_RATE_LIMITS.postPerMinute})
  --max-gets-per-minute N  MINDEE_MCP_MAX_GETS_PER_MINUTE   Polls and reads per minute, as above (default ${DEFAULT_RATE_LIMITS.getPerMinute})
  --cache-results N        MINDEE_MCP_CACHE_RESULTS Results kept in memory (default ${DEFAULT_RESULT_STORE.maxEntries})
  --cache-mb N             MINDEE_MCP_CACHE_MB      Memory for kept results (default ${DEFAULT_RESULT_STORE.maxBytes / 1024 / 1024})
  --cache-ttl SECS         MINDEE_MCP_CACHE_TTL     How long a kept result stays (default ${DEFAULT_RESULT_STORE.ttlMs / 1000})
  --max-response-mb N      MINDEE_MCP_MAX_RESPONSE_MB  Largest API answer read (default ${DEFAULT_MAX_RESPONSE_BYTES / 1024 / 1024})
  --log-level LEVEL        MINDEE_MCP_LOG_LEVEL     debug, info (default), warn or error; logs go to stderr
  --state-dir DIR          MINDEE_MCP_STATE_DIR     Where learned poll timings are kept across restarts
                                                    (default: the user cache directory, ${defaultStateDir(process.env)};
                                                    with --emulator: off); off keeps nothing
                           MINDEE_MCP_EMULATOR_PROCESSING_MS  With --emulator: how long each job takes (default ${DEFAULT_EMULATOR_PROCESSING_MS})
  --redis-url URL          MINDEE_MCP_REDIS_URL     Share rate budgets, kept results, job events and tasks with every process on this Redis
                           (redis:// or rediss://; put a password in the variable, not the flag, which other processes can see)
  --rate-scope NAME        MINDEE_MCP_RATE_SCOPE    One rate budget for every key of an organisation (default: one per key)
  --rate-window SECS       MINDEE_MCP_RATE_WINDOW   The window the per-minute budgets count over (default 60, as Mindee's)
  [allowed-directory ...]  MINDEE_MCP_ALLOWED_DIRS  Directories file_path may read (${delimiter}-separated in the variable)
  --allow-hard-links       MINDEE_MCP_ALLOW_HARD_LINKS  Also read files with several hard links (off: another link may be outside)

Remote server (--transport http) and webhooks:
  --transport stdio|http   MINDEE_MCP_TRANSPORT     stdio (default), or Streamable HTTP at POST /mcp
  --host H                 MINDEE_MCP_HOST          Address to listen on (default 127.0.0.1)
  --port N                 MINDEE_MCP_PORT          Port to listen on (default ${DEFAULT_HTTP_PORT}; 0: any free port)
  --auth MODE              MINDEE_MCP_AUTH          mindee-key (callers send their own Mindee key; default without a
                                                    server key), token, oauth, or none (loopback only)
                           MINDEE_MCP_HTTP_TOKENS   token mode: the accepted bearer tokens, comma-separated or @file
  --public-url URL         MINDEE_MCP_PUBLIC_URL    The server's public URL (OAuth audience, metadata, upload links)
                           MINDEE_MCP_OAUTH_ISSUER  oauth mode: the issuer (iss) of access tokens
                           MINDEE_MCP_OAUTH_JWKS_URL  oauth mode: where the issuer's signing keys are
  --allowed-hosts LIST     MINDEE_MCP_ALLOWED_HOSTS Host names clients may use (default: loopback names on loopback,
                                                    else the public URL's host; * accepts any)
  --log-format text|json   MINDEE_MCP_LOG_FORMAT    json: one JSON line per log entry and per request
                           MINDEE_MCP_MAX_BODY_MB   Largest /mcp request body (default ${DEFAULT_MAX_BODY_MB})
                           MINDEE_MCP_MAX_CONCURRENT_CALLS  Calls in flight per caller before 429 (default ${DEFAULT_MAX_CONCURRENT_CALLS})
                           MINDEE_MCP_HTTP_TIMEOUT  Seconds a request (an upload included) may take to arrive (default ${DEFAULT_HTTP_TIMEOUT_SECONDS})
  --upload-dir DIR         MINDEE_MCP_UPLOAD_DIR    Where uploads wait for their one use; with Redis, a directory every replica
                                                    mounts lets an upload_id work on any of them (default: private, per process)
                           MINDEE_MCP_SHUTDOWN_SECONDS  On SIGTERM, how long calls in flight may finish (default ${DEFAULT_SHUTDOWN_SECONDS})
                           MINDEE_WEBHOOK_SECRET    Signing secret(s) of your Mindee webhooks, comma-separated
                           MINDEE_MCP_WEBHOOK_IDS   Webhook UUIDs added to enqueues that give none (of the model's own)
  --webhook-port N         MINDEE_MCP_WEBHOOK_PORT  stdio mode: also receive webhooks at POST /webhooks/mindee on this port
                           MINDEE_MCP_WEBHOOK_FALLBACK_SECONDS  While a webhook is expected, first poll after (default ${DEFAULT_WEBHOOK_FALLBACK_SECONDS})

  -h, --help               This help
  -v, --version            The version

Secrets are read from the environment only (never from the command line, where other processes
could see them):
                           MINDEE_V2_API_KEY        Your Mindee v2 API key (md_…)
                           MINDEE_MCP_HTTP_TOKENS   token mode: accepted bearer tokens (comma-separated, or @file)
                           MINDEE_WEBHOOK_SECRET    Signing secret(s) of your Mindee webhooks (comma-separated)`;

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

/** Reads argv (without node and script) and the environment into a command. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv): Command {
  if (argv[0] === 'emulator') return { kind: 'emulator', argv: argv.slice(1) };
  if (argv[0] === 'doctor') {
    // The doctor reads the settings the server would, and reports a bad one as a finding.
    try {
      const inner = parseCommand(argv.slice(1), env);
      return inner.kind === 'serve' ? { kind: 'doctor', config: inner.config } : inner;
    } catch (error) {
      if (error instanceof ConfigError) return { kind: 'doctor', config: { problem: error.message.split('\n\nUsage:')[0]! } };
      throw error;
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        emulator: { type: 'boolean' },
        'allow-hard-links': { type: 'boolean' },
        'base-url': { type: 'string' },
        'request-timeout': { type: 'string' },
        'max-wait': { type: 'string' },
        model: { type: 'string' },
        models: { type: 'string' },
        'max-result-chars': { type: 'string' },
        rules: { type: 'string' },
        'min-confidence': { type: 'string' },
        'max-posts-per-minute': { type: 'string' },
        'max-gets-per-minute': { type: 'string' },
        'cache-results': { type: 'string' },
        'cache-mb': { type: 'string' },
        'cache-ttl': { type: 'string' },
        'max-response-mb': { type: 'string' },
        'log-level': { type: 'string' },
        'redis-url': { type: 'string' },
        'rate-scope': { type: 'string' },
        'rate-window': { type: 'string' },
        transport: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        auth: { type: 'string' },
        'public-url': { type: 'string' },
        'allowed-hosts': { type: 'string' },
        'log-format': { type: 'string' },
        'webhook-port': { type: 'string' },
        'state-dir': { type: 'string' },
        'upload-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const envDirs = (env.MINDEE_MCP_ALLOWED_DIRS ?? '').split(delimiter).map((d) => d.trim()).filter(Boolean);
  // "auto": the emulator when no key is set (the MCPB bundle's form says an empty key means it).
  const emulator = values.emulator ?? (env.MINDEE_MCP_EMULATOR?.trim().toLowerCase() === 'auto' ? !env.MINDEE_V2_API_KEY?.trim() : truthy(env.MINDEE_MCP_EMULATOR));
  const raw = {
    apiKey: env.MINDEE_V2_API_KEY,
    baseUrl: values['base-url'] ?? (env.MINDEE_V2_BASE_URL || undefined),
    requestTimeoutSeconds: values['request-timeout'] ?? (env.MINDEE_REQUEST_TIMEOUT || undefined),
    maxWaitSeconds: values['max-wait'] ?? (env.MINDEE_MCP_MAX_WAIT || undefined),
    // An empty argument (a host's form left blank) names no directory.
    allowedDirs: [...positionals.map((d) => d.trim()).filter(Boolean), ...envDirs],
    emulator,
    allowHardLinks: values['allow-hard-links'] ?? truthy(env.MINDEE_MCP_ALLOW_HARD_LINKS),
    defaultModelId: values.model ?? env.MINDEE_MODEL_ID,
    modelAliases: values.models ?? env.MINDEE_MCP_MODELS,
    maxResultChars: values['max-result-chars'] ?? (env.MINDEE_MCP_MAX_RESULT_CHARS || undefined),
    rulesFile: values.rules ?? env.MINDEE_MCP_RULES,
    minConfidence: values['min-confidence'] ?? env.MINDEE_MCP_MIN_CONFIDENCE,
    sendConfidence: env.MINDEE_MCP_CONFIDENCE,
    sendPolygon: env.MINDEE_MCP_POLYGON,
    maxPostsPerMinute: values['max-posts-per-minute'] ?? (env.MINDEE_MCP_MAX_POSTS_PER_MINUTE || undefined),
    maxGetsPerMinute: values['max-gets-per-minute'] ?? (env.MINDEE_MCP_MAX_GETS_PER_MINUTE || undefined),
    cacheResults: values['cache-results'] ?? (env.MINDEE_MCP_CACHE_RESULTS || undefined),
    cacheMegabytes: values['cache-mb'] ?? (env.MINDEE_MCP_CACHE_MB || undefined),
    cacheTtlSeconds: values['cache-ttl'] ?? (env.MINDEE_MCP_CACHE_TTL || undefined),
    maxResponseMegabytes: values['max-response-mb'] ?? (env.MINDEE_MCP_MAX_RESPONSE_MB || undefined),
    logLevel: values['log-level'] ?? (env.MINDEE_MCP_LOG_LEVEL?.trim().toLowerCase() || undefined),
    emulatorProcessingMs: env.MINDEE_MCP_EMULATOR_PROCESSING_MS || undefined,
    redisUrl: values['redis-url'] ?? env.MINDEE_MCP_REDIS_URL,
    rateScope: values['rate-scope'] ?? env.MINDEE_MCP_RATE_SCOPE,
    rateWindowSeconds: values['rate-window'] ?? (env.MINDEE_MCP_RATE_WINDOW || undefined),
    transport: values.transport ?? (env.MINDEE_MCP_TRANSPORT?.trim().toLowerCase() || undefined),
    host: values.host ?? (env.MINDEE_MCP_HOST || undefined),
    port: values.port ?? (env.MINDEE_MCP_PORT || undefined),
    auth: values.auth ?? (env.MINDEE_MCP_AUTH?.trim().toLowerCase() || undefined),
    httpTokens: readTokens(env.MINDEE_MCP_HTTP_TOKENS),
    oauthJwksUrl: env.MINDEE_MCP_OAUTH_JWKS_URL,
    oauthIssuer: env.MINDEE_MCP_OAUTH_ISSUER,
    publicUrl: values['public-url'] ?? env.MINDEE_MCP_PUBLIC_URL,
    allowedHosts: values['allowed-hosts'] ?? env.MINDEE_MCP_ALLOWED_HOSTS,
    shutdownSeconds: env.MINDEE_MCP_SHUTDOWN_SECONDS || undefined,
    logFormat: values['log-format'] ?? (env.MINDEE_MCP_LOG_FORMAT?.trim().toLowerCase() || undefined),
    maxBodyMegabytes: env.MINDEE_MCP_MAX_BODY_MB || undefined,
    maxConcurrentCalls: env.MINDEE_MCP_MAX_CONCURRENT_CALLS || undefined,
    httpTimeoutSeconds: env.MINDEE_MCP_HTTP_TIMEOUT || undefined,
    uploadDir: values['upload-dir'] ?? env.MINDEE_MCP_UPLOAD_DIR,
    webhookSecrets: (env.MINDEE_WEBHOOK_SECRET ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    webhookIds: env.MINDEE_MCP_WEBHOOK_IDS,
    webhookPort: values['webhook-port'] ?? (env.MINDEE_MCP_WEBHOOK_PORT || undefined),
    webhookFallbackSeconds: env.MINDEE_MCP_WEBHOOK_FALLBACK_SECONDS || undefined,
    // The emulator's simulated models have nothing to teach a real session: kept only when asked.
    stateDir: values['state-dir'] ?? (env.MINDEE_MCP_STATE_DIR?.trim() || (emulator ? 'off' : defaultStateDir(env))),
  };
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    // A key pasted into the wrong variable must not be printed back.
    const redact = createRedactor([env.MINDEE_V2_API_KEY, ...raw.httpTokens, ...raw.webhookSecrets]);
    const message = `Invalid configuration:\n${result.error.issues.map((i) => `  - ${i.message}`).join('\n')}`;
    throw new ConfigError(redact(message).replace(/md_[A-Za-z0-9_-]{4,}/g, 'md_[redacted]'));
  }
  return { kind: 'serve', config: resolveRemote(result.data) };
}

/**
 * The rules file (MINDEE_MCP_RULES), read and checked: a file that cannot be read or has a bad
 * rule is refused, naming the file, the rule and what is wrong. `aliases` are the model aliases
 * in force (MINDEE_MCP_MODELS, and the emulator's demo models).
 */
export async function loadRules(file: string | undefined, aliases: Readonly<Record<string, string>>): Promise<RuleSet | null> {
  if (file === undefined) return null;
  let text: string;
  try {
    if (statSync(file).size > MAX_RULES_FILE_BYTES) throw new Error(`larger than ${MAX_RULES_FILE_BYTES / 1024} KB`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`MINDEE_MCP_RULES: cannot read the rules file ${quote(file, 200)} (${(error as Error).message}).`);
  }
  try {
    return await loadRuleSet(text, file, aliases);
  } catch (error) {
    if (error instanceof RulesError) throw new ConfigError(`MINDEE_MCP_RULES: ${error.message}`);
    throw error;
  }
}

/** Largest token file read, and most tokens taken from it. */
const MAX_TOKENS_FILE_BYTES = 1024 * 1024;
const MAX_TOKENS = 1000;

/** MINDEE_MCP_HTTP_TOKENS: a comma-separated list, or `@file` with one token per line (# comments). */
function readTokens(value: string | undefined): string[] {
  const text = value?.trim() ?? '';
  if (!text.startsWith('@')) return text.split(',').map((t) => t.trim()).filter(Boolean);
  const file = text.slice(1);
  let content: string;
  try {
    if (statSync(file).size > MAX_TOKENS_FILE_BYTES) throw new Error(`larger than ${MAX_TOKENS_FILE_BYTES / 1024 / 1024} MB`);
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`MINDEE_MCP_HTTP_TOKENS: cannot read the token file ${quote(file, 200)} (${(error as Error).message}).`);
  }
  const tokens = content.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (tokens.length > MAX_TOKENS) throw new ConfigError(`MINDEE_MCP_HTTP_TOKENS: the token file lists ${tokens.length} tokens; at most ${MAX_TOKENS} are read.`);
  return tokens;
}

/** Whether a listening address is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The remote server's settings that depend on each other: the auth mode and what it needs. */
function resolveRemote(config: ParsedConfig): Config {
  const problems: string[] = [];
  const serverKey = config.apiKey !== undefined || config.emulator;
  const loopback = isLoopbackHost(config.host);
  let auth: AuthMode;
  if (config.auth) auth = config.auth;
  else if (!serverKey) auth = 'mindee-key';
  else if (config.httpTokens.length > 0) auth = 'token';
  else auth = 'none';
  if (config.transport === 'http') {
    if (auth === 'none' && !loopback) {
      problems.push(
        `MINDEE_MCP_AUTH=none serves anyone who can reach ${config.host}: it is for loopback only. Choose mindee-key, token or oauth (MINDEE_MCP_AUTH), or listen on 127.0.0.1.`,
      );
    }
    if ((auth === 'token' || auth === 'oauth') && !serverKey) {
      problems.push(`MINDEE_MCP_AUTH=${auth} makes calls with the server's own Mindee key: set MINDEE_V2_API_KEY (or use --auth mindee-key, where each caller sends theirs).`);
    }
    if (auth === 'token') {
      if (config.httpTokens.length === 0) problems.push('MINDEE_MCP_AUTH=token needs MINDEE_MCP_HTTP_TOKENS: the accepted tokens, comma-separated or @file.');
      if (config.httpTokens.some((t) => t.length < MIN_TOKEN_CHARS)) problems.push(`MINDEE_MCP_HTTP_TOKENS: every token must have at least ${MIN_TOKEN_CHARS} characters (make them with \`openssl rand -hex 32\`).`);
    }
    if (auth === 'oauth') {
      if (!config.oauthIssuer) problems.push('MINDEE_MCP_AUTH=oauth needs MINDEE_MCP_OAUTH_ISSUER: the issuer (iss) of the access tokens.');
      if (!config.oauthJwksUrl) problems.push('MINDEE_MCP_AUTH=oauth needs MINDEE_MCP_OAUTH_JWKS_URL: where the issuer publishes its signing keys.');
      if (!config.publicUrl) problems.push('MINDEE_MCP_AUTH=oauth needs MINDEE_MCP_PUBLIC_URL: the URL clients reach this server at (the tokens\' audience).');
    }
    if (!loopback && config.allowedHosts.length === 0 && !config.publicUrl) {
      problems.push(
        `Listening on ${config.host}: set MINDEE_MCP_ALLOWED_HOSTS to the host names clients use (or MINDEE_MCP_PUBLIC_URL), so that requests for other hosts are refused (DNS rebinding); "*" accepts any.`,
      );
    }
    if (config.webhookPort !== undefined) problems.push('MINDEE_MCP_WEBHOOK_PORT is for stdio mode: the HTTP server receives webhooks at /webhooks/mindee itself.');
  }
  if (config.transport === 'stdio' && config.webhookPort !== undefined && config.webhookSecrets.length === 0 && !config.emulator) {
    problems.push('MINDEE_MCP_WEBHOOK_PORT needs MINDEE_WEBHOOK_SECRET: the signing secret of the Mindee webhook, to check each delivery.');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { ...config, auth };
}
