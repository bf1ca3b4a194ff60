/**
 * Every setting in one place: environment variables with matching CLI flags, checked by one
 * zod schema whose messages name the setting to fix.
 */
import { delimiter } from 'node:path';
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
    .refine((n) => Number.isFinite(n) && n > 0 && n <= max, { message: `${name} must be between 0 and ${max} seconds` });

/** A whole number setting, at least `min`, whose messages name its variable. */
const count = (name: string, min: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, min === 0 ? `${name} must be 0 or more` : `${name} must be at least ${min}`);

export const configSchema = z.object({
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
      const out: Record<string, string> = {};
      for (const entry of (v ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
        const m = /^([A-Za-z0-9_.-]+)\s*=\s*(\S+)$/.exec(entry);
        if (!m || !UUID_PATTERN.test(m[2]!)) {
          ctx.addIssue({ code: 'custom', message: `MINDEE_MCP_MODELS: ${quote(entry, 80)} is not of the form alias=<model UUID>` });
          continue;
        }
        out[m[1]!.toLowerCase()] = m[2]!;
      }
      return out;
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
  maxResultChars: count('MINDEE_MCP_MAX_RESULT_CHARS', MIN_MAX_CHARS)
    .max(MAX_MAX_CHARS, `MINDEE_MCP_MAX_RESULT_CHARS must be at most ${MAX_MAX_CHARS}`)
    .default(DEFAULT_MAX_CHARS),
});
export type Config = z.infer<typeof configSchema>;

export type Command = { kind: 'serve'; config: Config } | { kind: 'emulator'; argv: string[] } | { kind: 'help' } | { kind: 'version' };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const USAGE = `Usage: mindee-mcp [options] [allowed-directory ...]
       mindee-mcp emulator [--port N] [--host H] [--api-key K] [--public-base-url URL] [--processing-ms N]

An MCP server (stdio) for Mindee's v2 document-inference API.

Options (each has an environment variable; the flag wins):
  --emulator               Run against a built-in local emulator of the Mindee v2 API (no key, no network)
  --base-url URL           MINDEE_V2_BASE_URL       API origin (default ${DEFAULT_BASE_URL})
  --request-timeout SECS   MINDEE_REQUEST_TIMEOUT   Per-request time-out (default 120)
  --max-wait SECS          MINDEE_MCP_MAX_WAIT      Default blocking wait of a tool call (default ${DEFAULT_MAX_WAIT_SECONDS})
  --model UUID             MINDEE_MODEL_ID          Model used when a call gives no model_id
  --models LIST            MINDEE_MCP_MODELS        Model aliases: invoice=<uuid>,receipt=<uuid>
  --max-result-chars N     MINDEE_MCP_MAX_RESULT_CHARS  Size budget of one result (default ${DEFAULT_MAX_CHARS})
  --max-posts-per-minute N MINDEE_MCP_MAX_POSTS_PER_MINUTE  Enqueues per minute (per process; with Redis per scope) (default ${DEFAULT_RATE_LIMITS.postPerMinute})
  --max-gets-per-minute N  MINDEE_MCP_MAX_GETS_PER_MINUTE   Polls and reads per minute, as above (default ${DEFAULT_RATE_LIMITS.getPerMinute})
  --cache-results N        MINDEE_MCP_CACHE_RESULTS Results kept in memory (default ${DEFAULT_RESULT_STORE.maxEntries})
  --cache-mb N             MINDEE_MCP_CACHE_MB      Memory for kept results (default ${DEFAULT_RESULT_STORE.maxBytes / 1024 / 1024})
  --cache-ttl SECS         MINDEE_MCP_CACHE_TTL     How long a kept result stays (default ${DEFAULT_RESULT_STORE.ttlMs / 1000})
  --max-response-mb N      MINDEE_MCP_MAX_RESPONSE_MB  Largest API answer read (default ${DEFAULT_MAX_RESPONSE_BYTES / 1024 / 1024})
  --log-level LEVEL        MINDEE_MCP_LOG_LEVEL     debug, info (default), warn or error; logs go to stderr
                           MINDEE_MCP_EMULATOR_PROCESSING_MS  With --emulator: how long each job takes (default ${DEFAULT_EMULATOR_PROCESSING_MS})
  --redis-url URL          MINDEE_MCP_REDIS_URL     Share rate budgets, kept results and job events with every process on this Redis
                           (redis:// or rediss://; put a password in the variable, not the flag, which other processes can see)
  --rate-scope NAME        MINDEE_MCP_RATE_SCOPE    One rate budget for every key of an organisation (default: one per key)
  --rate-window SECS       MINDEE_MCP_RATE_WINDOW   The window the per-minute budgets count over (default 60, as Mindee's)
  [allowed-directory ...]  MINDEE_MCP_ALLOWED_DIRS  Directories file_path may read (${delimiter}-separated in the variable)
  --allow-hard-links       MINDEE_MCP_ALLOW_HARD_LINKS  Also read files with several hard links (off: another link may be outside)
  -h, --help               This help
  -v, --version            The version

The API key is read from MINDEE_V2_API_KEY only (never from the command line, where other
processes could see it).`;

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

/** Reads argv (without node and script) and the environment into a command. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv): Command {
  if (argv[0] === 'emulator') return { kind: 'emulator', argv: argv.slice(1) };
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
  const raw = {
    apiKey: env.MINDEE_V2_API_KEY,
    baseUrl: values['base-url'] ?? (env.MINDEE_V2_BASE_URL || undefined),
    requestTimeoutSeconds: values['request-timeout'] ?? (env.MINDEE_REQUEST_TIMEOUT || undefined),
    maxWaitSeconds: values['max-wait'] ?? (env.MINDEE_MCP_MAX_WAIT || undefined),
    allowedDirs: [...positionals, ...envDirs],
    emulator: values.emulator ?? truthy(env.MINDEE_MCP_EMULATOR),
    allowHardLinks: values['allow-hard-links'] ?? truthy(env.MINDEE_MCP_ALLOW_HARD_LINKS),
    defaultModelId: values.model ?? env.MINDEE_MODEL_ID,
    modelAliases: values.models ?? env.MINDEE_MCP_MODELS,
    maxResultChars: values['max-result-chars'] ?? (env.MINDEE_MCP_MAX_RESULT_CHARS || undefined),
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
  };
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    // A key pasted into the wrong variable must not be printed back.
    const redact = createRedactor([env.MINDEE_V2_API_KEY]);
    const message = `Invalid configuration:\n${result.error.issues.map((i) => `  - ${i.message}`).join('\n')}`;
    throw new ConfigError(redact(message).replace(/md_[A-Za-z0-9_-]{4,}/g, 'md_[redacted]'));
  }
  return { kind: 'serve', config: result.data };
}
