/**
 * The settings of every mode: the API and its key, local files, models, verdicts, rate budgets,
 * kept results, shared state, the emulator, logs — each declared once (see declare.ts), in the
 * order the README lists them.
 */
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, posix, win32 } from 'node:path';
import { z } from 'zod';
import { DEFAULT_BASE_URL } from '../client/routes.js';
import { UUID_PATTERN } from '../client/schemas.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../client/transport.js';
import type { LogLevel } from '../log.js';
import { DEFAULT_MAX_CHARS, MAX_MAX_CHARS, MIN_MAX_CHARS } from '../results/budget.js';
import { DEFAULT_RATE_LIMITS } from '../state/rate-budget.js';
import { DEFAULT_RESULT_STORE } from '../state/result-store.js';
import { quote } from '../lib/text.js';
import { CONFIDENCE_LEVELS } from '../verify/index.js';
import { setting } from './declare.js';
import { count, megabytes, onOff, optionalText, seconds, truthy } from './kinds.js';

/** Hosts cut a tool call off at about 60 s: a blocking wait stays well under by default. */
export const DEFAULT_MAX_WAIT_SECONDS = 40;
/** Mindee stops an inference after 590 s: no wait needs to be longer. */
export const MAX_WAIT_SECONDS = 590;
/** How long a job of the in-process emulator takes by default. */
const DEFAULT_EMULATOR_PROCESSING_MS = 1500;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[];

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

export const CORE_SETTINGS = {
  apiKey: setting({
    env: 'MINDEE_V2_API_KEY',
    secret: true,
    group: 'general',
    schema: optionalText(),
    help: "Your Mindee v2 API key (md_…)",
    readme: "Your Mindee **v2** key (`md_…`; v1 keys do not work). Without one the server still starts and lists its tools; each call explains how to set it or to use `--emulator`.",
    readmeFlag: "— (env only, so other processes cannot read it from `ps`)",
  }),
  baseUrl: setting({
    env: 'MINDEE_V2_BASE_URL',
    flag: 'base-url',
    arg: 'URL',
    group: 'general',
    schema: z
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
    help: "API origin",
    readme: "The API origin. The key is sent to this origin only.",
    default: DEFAULT_BASE_URL,
  }),
  requestTimeoutSeconds: setting({
    env: 'MINDEE_REQUEST_TIMEOUT',
    flag: 'request-timeout',
    arg: 'SECS',
    group: 'general',
    schema: seconds('MINDEE_REQUEST_TIMEOUT', 3600).default(120),
    help: "Per-request time-out",
    readme: "Per-request time-out, seconds (as in the official SDKs).",
    default: '120',
  }),
  allowedDirs: setting({
    env: 'MINDEE_MCP_ALLOWED_DIRS',
    group: 'general',
    schema: z.array(z.string().min(1)).default([]),
    help: `Directories file_path may read (${delimiter}-separated in the variable)`,
    readme: "Directories `file_path` may read, separated by `:` (`;` on Windows). MCP roots shared by the client are added.",
    defaultText: "none",
    readmeFlag: "positional arguments",
    helpFlag: "[allowed-directory ...]",
    read: ({ positionals, env }) => [
      // An empty argument (a host's form left blank) names no directory.
      ...positionals.map((d) => d.trim()).filter(Boolean),
      ...(env.MINDEE_MCP_ALLOWED_DIRS ?? '').split(delimiter).map((d) => d.trim()).filter(Boolean),
    ],
  }),
  allowHardLinks: setting({
    env: 'MINDEE_MCP_ALLOW_HARD_LINKS',
    flag: 'allow-hard-links',
    group: 'general',
    schema: z.boolean().default(false),
    help: "Also read files with several hard links (off: another link may be outside)",
    readme: "Also read files that have several hard links. Off by default: another name of the same file may lie outside the allowed directories, so such files are refused (copy the file instead).",
    defaultText: "off",
  }),
  maxWaitSeconds: setting({
    env: 'MINDEE_MCP_MAX_WAIT',
    flag: 'max-wait',
    arg: 'SECS',
    group: 'general',
    schema: seconds('MINDEE_MCP_MAX_WAIT', MAX_WAIT_SECONDS).default(DEFAULT_MAX_WAIT_SECONDS),
    help: "Default blocking wait of a tool call",
    readme: "Default blocking wait of a tool call, seconds (Claude Desktop cuts calls off near 60 s). At most 590.",
    default: String(DEFAULT_MAX_WAIT_SECONDS),
  }),
  defaultModelId: setting({
    env: 'MINDEE_MODEL_ID',
    flag: 'model',
    arg: 'UUID',
    group: 'general',
    schema: optionalText().refine((v) => v === undefined || UUID_PATTERN.test(v), 'MINDEE_MODEL_ID must be a model UUID'),
    help: "Model used when a call gives no model_id",
    readme: "Model used when a call gives no `model_id`.",
    defaultText: "none",
  }),
  modelAliases: setting({
    env: 'MINDEE_MCP_MODELS',
    flag: 'models',
    arg: 'LIST',
    group: 'general',
    schema: z
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
    help: "Model aliases: invoice=<uuid>,receipt=<uuid>",
    readme: "Aliases: `invoice=<uuid>,receipt=<uuid>`. `model_id` accepts a UUID or an alias; an unknown alias is refused with the list of known ones.",
    defaultText: "none",
  }),
  maxResultChars: setting({
    env: 'MINDEE_MCP_MAX_RESULT_CHARS',
    flag: 'max-result-chars',
    arg: 'N',
    group: 'general',
    schema: count('MINDEE_MCP_MAX_RESULT_CHARS', MIN_MAX_CHARS)
      .max(MAX_MAX_CHARS, `MINDEE_MCP_MAX_RESULT_CHARS must be at most ${MAX_MAX_CHARS}`)
      .default(DEFAULT_MAX_CHARS),
    help: "Size budget of one result",
    readme: "Size budget of one answer (2 000–100 000).",
    default: String(DEFAULT_MAX_CHARS),
  }),
  rulesFile: setting({
    env: 'MINDEE_MCP_RULES',
    flag: 'rules',
    arg: 'FILE',
    group: 'general',
    schema: optionalText(),
    help: "Checks of your own per model (JSON or YAML), added to every verdict",
    readme: "A rules file (JSON or YAML) of checks of your own per model id or alias, added to every verdict; a bad file is refused at start, naming the file, the rule and the fault (`mindee-mcp doctor` checks it too). See [Can I trust a result?](#can-i-trust-a-result).",
    defaultText: "none",
  }),
  minConfidence: setting({
    env: 'MINDEE_MCP_MIN_CONFIDENCE',
    flag: 'min-confidence',
    arg: 'LEVEL',
    group: 'general',
    schema: z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v.charAt(0).toUpperCase() + v.slice(1).toLowerCase() : 'High'))
      .pipe(z.enum(CONFIDENCE_LEVELS, { error: `MINDEE_MCP_MIN_CONFIDENCE must be one of ${CONFIDENCE_LEVELS.join(', ')}` })),
    help: "Values rated below it need review: Certain, High, Medium, Low",
    readme: "Values Mindee rates below this need review: `Certain`, `High`, `Medium` or `Low` (`Low`: confidence never does). A call's `min_confidence` wins.",
    default: 'High',
  }),
  sendConfidence: setting({
    env: 'MINDEE_MCP_CONFIDENCE',
    group: 'general',
    schema: onOff('MINDEE_MCP_CONFIDENCE').transform((v) => v ?? true),
    help: "off: extraction enqueues do not ask for confidences",
    readme: "`off`: extraction enqueues no longer ask for Mindee's confidences (a call's `confidence` still can). Without them a verdict says it could not check confidence.",
    default: 'on',
  }),
  sendPolygon: setting({
    env: 'MINDEE_MCP_POLYGON',
    group: 'general',
    schema: onOff('MINDEE_MCP_POLYGON').transform((v) => v ?? true),
    help: "off: extraction enqueues do not ask for locations",
    readme: "`off`: extraction enqueues no longer ask for locations, so issues carry no page or box (a call's `polygon` still can).",
    default: 'on',
  }),
  maxPostsPerMinute: setting({
    env: 'MINDEE_MCP_MAX_POSTS_PER_MINUTE',
    flag: 'max-posts-per-minute',
    arg: 'N',
    group: 'general',
    schema: count('MINDEE_MCP_MAX_POSTS_PER_MINUTE', 1).default(DEFAULT_RATE_LIMITS.postPerMinute),
    help: "Enqueues per minute (per process; with Redis per scope)",
    readme: "Enqueues per minute for the whole process (Mindee allows 200 per organisation); with Redis, for the whole rate scope, shared by every process in it.",
    default: String(DEFAULT_RATE_LIMITS.postPerMinute),
  }),
  maxGetsPerMinute: setting({
    env: 'MINDEE_MCP_MAX_GETS_PER_MINUTE',
    flag: 'max-gets-per-minute',
    arg: 'N',
    group: 'general',
    schema: count('MINDEE_MCP_MAX_GETS_PER_MINUTE', 1).default(DEFAULT_RATE_LIMITS.getPerMinute),
    help: "Polls and reads per minute, as above",
    readme: "Polls and reads per minute (Mindee allows 1 200); with Redis, for the whole rate scope.",
    default: String(DEFAULT_RATE_LIMITS.getPerMinute),
  }),
  /** The value is never echoed: it may carry a password. */
  redisUrl: setting({
    env: 'MINDEE_MCP_REDIS_URL',
    flag: 'redis-url',
    arg: 'URL',
    group: 'general',
    schema: optionalText().refine((v) => {
      if (v === undefined) return true;
      try {
        const u = new URL(v);
        return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname.length > 0;
      } catch {
        return false;
      }
    }, 'MINDEE_MCP_REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://user:password@redis.internal:6379'),
    help: "Share rate budgets, kept results, job events and tasks with every process on this Redis\n(redis:// or rediss://; put a password in the variable, not the flag, which other processes can see)",
    readme: "`redis://` or `rediss://` (TLS) URL, with ACL user and password if any: share rate budgets, kept results, job completions and MCP tasks (and uploads, with `MINDEE_MCP_UPLOAD_DIR`) with every process on this Redis or Valkey. See [Many processes, one organisation](#many-processes-one-organisation). Put a password in the variable rather than the flag, which other processes can read.",
    defaultText: "none",
  }),
  rateScope: setting({
    env: 'MINDEE_MCP_RATE_SCOPE',
    flag: 'rate-scope',
    arg: 'NAME',
    group: 'general',
    schema: optionalText().refine((v) => v === undefined || /^[A-Za-z0-9_.:-]{1,64}$/.test(v), 'MINDEE_MCP_RATE_SCOPE must be 1 to 64 letters, digits, ".", "_", ":" or "-"'),
    help: "One rate budget for every key of an organisation (default: one per key)",
    readme: "Name of the rate budget: several keys of one organisation set the same name to share one budget (Mindee's limits are per organisation).",
    defaultText: "one per key",
  }),
  rateWindowSeconds: setting({
    env: 'MINDEE_MCP_RATE_WINDOW',
    flag: 'rate-window',
    arg: 'SECS',
    group: 'general',
    schema: seconds('MINDEE_MCP_RATE_WINDOW', 3600).default(60),
    help: "The window the per-minute budgets count over (as Mindee's)",
    readme: "The window, in seconds, the per-minute budgets count over. Mindee's is 60 s; another value is for a gateway in front of it with another window, or for tests that scale time.",
    default: '60',
  }),
  cacheResults: setting({
    env: 'MINDEE_MCP_CACHE_RESULTS',
    flag: 'cache-results',
    arg: 'N',
    group: 'general',
    schema: count('MINDEE_MCP_CACHE_RESULTS', 0).default(DEFAULT_RESULT_STORE.maxEntries),
    help: "Results kept in memory",
    readme: "Results kept (in memory; with Redis, in Redis for all processes, each also keeping its own copies).",
    default: String(DEFAULT_RESULT_STORE.maxEntries),
  }),
  cacheMegabytes: setting({
    env: 'MINDEE_MCP_CACHE_MB',
    flag: 'cache-mb',
    arg: 'N',
    group: 'general',
    schema: megabytes('MINDEE_MCP_CACHE_MB', 0).default(DEFAULT_RESULT_STORE.maxBytes / 1024 / 1024),
    help: "Memory for kept results",
    readme: "Memory for kept results (likewise).",
    default: String(DEFAULT_RESULT_STORE.maxBytes / 1024 / 1024),
  }),
  /** A caller's share of the kept results (each key, token holder or OAuth subject); default: all of them. */
  cacheResultsPerCaller: setting({
    env: 'MINDEE_MCP_CACHE_RESULTS_PER_CALLER',
    flag: 'cache-results-per-caller',
    arg: 'N',
    group: 'general',
    schema: count('MINDEE_MCP_CACHE_RESULTS_PER_CALLER', 0).optional(),
    help: "Results one caller keeps (default: --cache-results)",
    readme: "Results one caller (a key, token holder or OAuth subject) keeps; beyond, its own least recently used go.",
    defaultText: "`MINDEE_MCP_CACHE_RESULTS`",
  }),
  cacheMegabytesPerCaller: setting({
    env: 'MINDEE_MCP_CACHE_MB_PER_CALLER',
    flag: 'cache-mb-per-caller',
    arg: 'N',
    group: 'general',
    schema: megabytes('MINDEE_MCP_CACHE_MB_PER_CALLER', 0).optional(),
    help: "Memory for one caller's kept results (default: --cache-mb)",
    readme: "Memory for one caller's kept results (likewise).",
    defaultText: "`MINDEE_MCP_CACHE_MB`",
  }),
  cacheTtlSeconds: setting({
    env: 'MINDEE_MCP_CACHE_TTL',
    flag: 'cache-ttl',
    arg: 'SECS',
    group: 'general',
    schema: seconds('MINDEE_MCP_CACHE_TTL', 24 * 3600).default(DEFAULT_RESULT_STORE.ttlMs / 1000),
    help: "How long a kept result stays",
    readme: "How long a kept result stays, seconds (at most a day); no MCP task lives longer.",
    default: String(DEFAULT_RESULT_STORE.ttlMs / 1000),
  }),
  maxResponseMegabytes: setting({
    env: 'MINDEE_MCP_MAX_RESPONSE_MB',
    flag: 'max-response-mb',
    arg: 'N',
    group: 'general',
    schema: megabytes('MINDEE_MCP_MAX_RESPONSE_MB', 1, 1024).default(DEFAULT_MAX_RESPONSE_BYTES / 1024 / 1024),
    help: "Largest API answer read",
    readme: "The largest answer read from the API (1–1024); a larger or endless one is cut off with an error naming this setting.",
    default: String(DEFAULT_MAX_RESPONSE_BYTES / 1024 / 1024),
  }),
  emulator: setting({
    env: 'MINDEE_MCP_EMULATOR',
    flag: 'emulator',
    group: 'general',
    schema: z.boolean().default(false),
    help: "Run against a built-in local emulator of the Mindee v2 API (no key, no\nnetwork); MINDEE_MCP_EMULATOR=auto: only when no key is set",
    readme: "Run against an in-process emulator instead of Mindee (no key needed; a real key, if set, is not used). `auto`: only when no key is set (what the MCPB bundle uses). Its demo models get the aliases `invoice`, `receipt`, `classification`, `crop`, `ocr`, `split`, `failing`, `deleteonfetch`.",
    defaultText: "off",
    read: ({ flags, env }) => {
      if (flags.emulator !== undefined) return flags.emulator;
      // "auto": the emulator when no key is set (the MCPB bundle's form says an empty key means it).
      return env.MINDEE_MCP_EMULATOR?.trim().toLowerCase() === 'auto' ? !env.MINDEE_V2_API_KEY?.trim() : truthy(env.MINDEE_MCP_EMULATOR);
    },
  }),
  emulatorProcessingMs: setting({
    env: 'MINDEE_MCP_EMULATOR_PROCESSING_MS',
    group: 'general',
    schema: count('MINDEE_MCP_EMULATOR_PROCESSING_MS', 0).default(DEFAULT_EMULATOR_PROCESSING_MS),
    help: "With --emulator: how long each job takes",
    readme: "With `--emulator`: how long each simulated job takes.",
    default: String(DEFAULT_EMULATOR_PROCESSING_MS),
  }),
  /** Where learned poll timings are kept; null keeps nothing. */
  stateDir: setting({
    env: 'MINDEE_MCP_STATE_DIR',
    flag: 'state-dir',
    arg: 'DIR',
    group: 'general',
    schema: z
      .string()
      .trim()
      .nullable()
      .default(null)
      .transform((v) => (v === null || v.toLowerCase() === 'off' ? null : v === '~' || v.startsWith('~/') ? join(homedir(), v.slice(1)) : v))
      .refine((v) => v === null || isAbsolute(v), 'MINDEE_MCP_STATE_DIR must be an absolute directory, or off to keep no learned timings'),
    help: `Where learned poll timings are kept across restarts\n(default: the user cache directory, ${defaultStateDir(process.env)};\nwith --emulator: off); off keeps nothing`,
    readme: "Where the processing times learned per model are kept across restarts (`poll-timings.json`: model ids, products and timings only). `off` keeps nothing. An absolute path (`~/` is expanded).",
    defaultText: "the user cache directory: `$XDG_CACHE_HOME/mindee-mcp` (or `~/.cache/mindee-mcp`), `~/Library/Caches/mindee-mcp` on macOS, `%LOCALAPPDATA%\\mindee-mcp` on Windows; with `--emulator`: `off`",
    read: ({ flags, env, raw }) =>
      // The emulator's simulated models have nothing to teach a real session: kept only when asked.
      flags['state-dir'] ?? (env.MINDEE_MCP_STATE_DIR?.trim() || (raw.emulator === true ? 'off' : defaultStateDir(env))),
  }),
  logLevel: setting({
    env: 'MINDEE_MCP_LOG_LEVEL',
    flag: 'log-level',
    arg: 'LEVEL',
    group: 'general',
    schema: z.enum(LOG_LEVELS, { error: `MINDEE_MCP_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    help: "debug, info, warn or error; logs go to stderr",
    readme: "`debug`, `info`, `warn` or `error`. Logs go to stderr (stdout carries JSON-RPC only); the key is redacted from every line, and control characters are stripped.",
    default: 'info',
    lowerCaseEnv: true,
  }),
};
