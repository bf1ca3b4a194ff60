/**
 * One start-up routine: from the settings to what serves them — the Mindee API to talk to (the
 * configured one, or an in-process emulator), the shared state (memory or Redis), the learned
 * timings, the connection with its clock, the allowed directories, the tools' settings (models,
 * rules) and the loggers. The command line (`serve`), the doctor and the test harnesses build it
 * the same way; `overrides` hands in what a test controls (a clock, an emulator, a state, a log).
 */
import { MindeeConnection, type ConnectionOptions } from './client/mindee-client.js';
import { ConfigError, HEARTBEAT_MS, loadRules, type Config } from './config.js';
import { FileAccess } from './files/file-access.js';
import { createLogger, type Logger, type LogLevel } from './log.js';
import { createRedactor } from './lib/redact.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { SharedState, TimingStore } from './state/index.js';
import type { RedisStateOptions } from './state/redis/index.js';
import { maskRedisUrl } from './state/redis/link.js';
import { FileTimingStore } from './state/timings.js';
import type { ToolSettings } from './tools/define.js';

const MISSING_KEY_HINT =
  'Set MINDEE_V2_API_KEY (a Mindee v2 key, md_…) in the "env" of this server in your MCP client configuration, ' +
  'or start the server with --emulator to try it against the built-in local emulator.';

export interface RuntimeOverrides {
  clock?: Clock;
  /** The Mindee API to talk to instead of the configured one (a test's emulator), with the key it takes. */
  api?: { baseUrl: string; apiKey?: string; aliases?: Record<string, string> };
  /** Where webhooks reach this process (its listener's /webhooks/mindee), when something listens. */
  receiver?: string;
  /** The shared state to use (then MINDEE_MCP_REDIS_URL is not connected to here). */
  state?: SharedState;
  /** Where learned timings are kept; null: nowhere (default: MINDEE_MCP_STATE_DIR). */
  timings?: TimingStore | null;
  /** Options of the connection that a caller sets itself (polling, a dispatcher), or made from the tools' settings (metrics' observers). */
  connection?: Partial<ConnectionOptions> | ((settings: ToolSettings) => Partial<ConnectionOptions>);
  /** The tools' settings a test sets. */
  settings?: Partial<ToolSettings>;
  /** Where log lines go (default stderr), and from which level. */
  log?: { write?: (line: string) => void; level?: LogLevel; secrets?: ReadonlyArray<string | undefined> };
  /** Called with the logger as soon as it exists, before anything else may log (the CLI routes stray output to it). */
  onLogger?: (log: Logger) => void;
}

export interface Runtime {
  /** The settings, with the webhooks an in-process emulator adds. */
  config: Config;
  /** The key the server calls with (the emulator's, with --emulator), and where. */
  apiKey: string | undefined;
  baseUrl: string;
  /** The API in words, for the start-up line. */
  where: string;
  clock: Clock;
  connection: MindeeConnection;
  files: FileAccess;
  settings: ToolSettings;
  log: Logger;
  /** A logger that also redacts `more` (a remote caller's key). */
  makeLogger: (more: ReadonlyArray<string | undefined>) => Logger;
  state: SharedState | undefined;
  /** Where learned timings are kept (`path`: the file, when it is one). */
  timings: (TimingStore & { readonly path?: string }) | undefined;
  /** Ends what the runtime started: the connection, the state, the emulator; learned timings are flushed. */
  close(): Promise<void>;
}

export async function createRuntime(config: Config, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const clock = overrides.clock ?? systemClock;
  const receiver = overrides.receiver;
  const api = overrides.api
    ? { apiKey: overrides.api.apiKey ?? config.apiKey, baseUrl: overrides.api.baseUrl, aliases: overrides.api.aliases ?? {}, webhookSecrets: config.webhookSecrets, webhookIds: config.webhookIds }
    : await startApi(config, receiver);
  const { apiKey, baseUrl, webhookSecrets, webhookIds } = api;
  const emulatorAliases = api.aliases;
  const closeEmulator = 'close' in api ? api.close : undefined;

  const secrets = [...(overrides.log?.secrets ?? []), config.apiKey, apiKey, ...config.httpTokens, ...webhookSecrets, config.metricsToken, redisPassword(config.redisUrl)];
  const makeLogger = (more: ReadonlyArray<string | undefined>) =>
    createLogger({ level: overrides.log?.level ?? config.logLevel, format: config.logFormat, redact: createRedactor([...secrets, ...more]), write: overrides.log?.write });
  const log = makeLogger([]);
  overrides.onLogger?.(log);
  const aliases = { ...emulatorAliases, ...config.modelAliases };
  const settings: ToolSettings = {
    maxWaitSeconds: config.maxWaitSeconds,
    heartbeatMs: HEARTBEAT_MS,
    maxResultChars: config.maxResultChars,
    models: { defaultModelId: config.defaultModelId, aliases },
    keptResultsSeconds: config.cacheTtlSeconds,
    inProcessEmulator: config.emulator,
    // A bad rules file ends the start here, naming the file, the rule and the fault.
    verify: { minConfidence: config.minConfidence, rules: await loadRules(config.rulesFile, aliases), confidence: config.sendConfidence, polygon: config.sendPolygon },
    ...overrides.settings,
  };
  const rateLimits = { postPerMinute: config.maxPostsPerMinute, getPerMinute: config.maxGetsPerMinute, windowMs: config.rateWindowSeconds * 1000 };
  const resultCache = {
    maxEntries: config.cacheResults,
    maxBytes: config.cacheMegabytes * 1024 * 1024,
    ttlMs: config.cacheTtlSeconds * 1000,
    maxEntriesPerPartition: config.cacheResultsPerCaller ?? config.cacheResults,
    maxBytesPerPartition: (config.cacheMegabytesPerCaller ?? config.cacheMegabytes) * 1024 * 1024,
  };
  const requestTimeoutMs = config.requestTimeoutSeconds * 1000;
  let state = overrides.state;
  let ownsState = false;
  if (!state && config.redisUrl) {
    state = await redisState(config.redisUrl, { rateLimits, results: resultCache, leaseMs: requestTimeoutMs, log, sharedUploads: config.uploadDir !== undefined });
    ownsState = true;
    log.info(`shared state on Redis at ${maskRedisUrl(config.redisUrl)}${config.rateScope ? `, rate scope "${config.rateScope}"` : ''}`);
  }
  // With Redis, what the planner learns is shared there instead.
  const timings =
    overrides.timings !== undefined
      ? (overrides.timings ?? undefined)
      : config.stateDir && !state
        ? new FileTimingStore({ dir: config.stateDir, warn: (message) => log.warn(message) })
        : undefined;
  const connection = new MindeeConnection({
    baseUrl,
    requestTimeoutMs,
    rateLimits,
    resultCache,
    state,
    clock,
    rateScope: config.rateScope,
    maxResponseBytes: config.maxResponseMegabytes * 1024 * 1024,
    missingKeyHint: MISSING_KEY_HINT,
    publicKey: config.emulator ? apiKey : undefined,
    timings,
    webhooks: {
      ids: webhookIds.map((id) => id.toLowerCase()),
      received: receiver !== undefined && webhookSecrets.length > 0,
      fallbackMs: config.webhookFallbackSeconds * 1000,
    },
    ...(typeof overrides.connection === 'function' ? overrides.connection(settings) : overrides.connection),
  });
  const files = new FileAccess({ allowedDirs: config.allowedDirs, allowHardLinks: config.allowHardLinks, remote: config.transport === 'http' });
  for (const warning of files.warnings) log.warn(warning);
  if (webhookIds.length > 0 && !receiver) log.warn('MINDEE_MCP_WEBHOOK_IDS is set but nothing here receives webhooks: jobs are polled as usual.');

  return {
    config: { ...config, webhookSecrets, webhookIds },
    apiKey,
    baseUrl,
    where: config.emulator ? `the local emulator at ${baseUrl}` : baseUrl,
    clock,
    connection,
    files,
    settings,
    log,
    makeLogger,
    state,
    timings,
    async close() {
      // The learned timings are flushed even if closing the connection fails on the way.
      await Promise.allSettled([connection.close(), timings?.flush(), closeEmulator?.(), ownsState ? state?.close() : undefined]);
    },
  };
}

/** The Mindee API a process talks to, with the key it sends and the webhooks it adds. */
export interface Api {
  apiKey: string | undefined;
  baseUrl: string;
  /** The in-process emulator's demo models by name ("invoice", "receipt", "ocr"…); none for Mindee. */
  aliases: Record<string, string>;
  webhookSecrets: string[];
  webhookIds: string[];
  /** Stops the in-process emulator, when one was started. */
  close?: () => Promise<void>;
}

/**
 * The configured API, or with --emulator an emulator started in this process (the real key, if
 * one is set, is never sent to it). With a `receiver`, the demo models' webhooks deliver to it:
 * results are pushed, as from Mindee.
 */
export async function startApi(config: Config, receiver?: string): Promise<Api> {
  const { apiKey, baseUrl, webhookSecrets, webhookIds } = config;
  if (!config.emulator) return { apiKey, baseUrl, aliases: {}, webhookSecrets, webhookIds };
  const { startEmulator, DEMO_MODELS, DEMO_WEBHOOKS, EMULATOR_WEBHOOK_SECRET } = await import('mindee-v2-emulator');
  const secrets = receiver && webhookSecrets.length === 0 ? [EMULATOR_WEBHOOK_SECRET] : webhookSecrets;
  const ids = receiver && webhookIds.length === 0 ? [DEMO_WEBHOOKS.invoiceSuccess] : webhookIds;
  const emulator = await startEmulator({
    processingMs: config.emulatorProcessingMs,
    ...(receiver ? { webhookUrl: receiver, webhookSecret: secrets[0] } : {}),
  });
  return {
    apiKey: emulator.apiKey,
    baseUrl: emulator.url,
    aliases: Object.fromEntries(Object.entries(DEMO_MODELS).map(([name, id]) => [name.toLowerCase(), id])),
    webhookSecrets: secrets,
    webhookIds: ids,
    close: () => emulator.close(),
  };
}

/** The shared state on Redis; a Redis that cannot be used ends the start with a message naming it. */
async function redisState(url: string, options: Omit<RedisStateOptions, 'url'>): Promise<SharedState> {
  const redis = await import('./state/redis/index.js');
  try {
    // A request can outlive its time-out by its last retry's backoff: the lease covers both.
    return await redis.createRedisState({ url, ...options, leaseMs: (options.leaseMs ?? 120_000) + 30_000 });
  } catch (error) {
    if (!(error instanceof redis.RedisUnavailableError)) throw error;
    throw new ConfigError(`${error.message}\nCheck that Redis runs and the URL, user and password are right, or unset MINDEE_MCP_REDIS_URL to keep the state in this process.`);
  }
}

/**
 * The password of a Redis URL, for the log redactor. A short one is left out: the redactor would
 * blank every occurrence of a few common letters, and the URL is only ever printed masked.
 */
function redisPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const password = decodeURIComponent(new URL(url).password);
  return password.length >= 8 ? password : undefined;
}
