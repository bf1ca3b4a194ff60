#!/usr/bin/env node
/**
 * argv + env → config → start: the MCP server over stdio (against Mindee, or with --emulator
 * against an in-process emulator), or over Streamable HTTP (`--transport http`), or `emulator`
 * alone. In stdio mode stdout belongs to JSON-RPC; all else goes to stderr.
 */
import { MindeeConnection } from './client/mindee-client.js';
import { ConfigError, HEARTBEAT_MS, USAGE, loadRules, parseCommand, type Config } from './config.js';
import { FileAccess } from './files/file-access.js';
import { createLogger } from './log.js';
import { createRedactor } from './redact.js';
import { errorMessage } from './text.js';
import { createServer } from './server.js';
import type { SharedState } from './state/index.js';
import type { RedisStateOptions } from './state/redis/index.js';
import { maskRedisUrl } from './state/redis/link.js';
import { FileTimingStore } from './state/timings.js';
import { BoundedStdioServerTransport } from './stdio.js';
import type { ToolSettings } from './tools/define.js';
import { VERSION } from './version.js';

const MISSING_KEY_HINT =
  'Set MINDEE_V2_API_KEY (a Mindee v2 key, md_…) in the "env" of this server in your MCP client configuration, ' +
  'or start the server with --emulator to try it against the built-in local emulator.';

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  let command;
  try {
    command = parseCommand(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mindee-mcp: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return;
    case 'doctor': {
      const { runDoctor } = await import('./doctor.js');
      process.exitCode = await runDoctor({ config: command.config, env, write: (line) => process.stdout.write(`${line}\n`) });
      return;
    }
    case 'emulator': {
      const { runEmulatorCli } = await import('mindee-v2-emulator');
      await runEmulatorCli(command.argv, { command: 'mindee-mcp emulator' });
      return;
    }
    case 'serve':
      await serve(command.config);
  }
}

async function serve(config: Config): Promise<void> {
  let apiKey = config.apiKey;
  let baseUrl = config.baseUrl;
  let closeEmulator: (() => Promise<void>) | undefined;
  let emulatorAliases: Record<string, string> = {};
  let webhookSecrets = config.webhookSecrets;
  let webhookIds = config.webhookIds;

  // The socket opens first: its URL is where webhooks go (an in-process emulator's included).
  const http = config.transport === 'http';
  const port = http ? config.port : config.webhookPort;
  const listener =
    port !== undefined
      ? await (await import('./http/listener.js')).HttpListener.open({ host: config.host, port, requestTimeoutMs: config.httpTimeoutSeconds * 1000 }).catch((error: unknown) => {
          throw new ConfigError(listenProblem(error, config.host, port, http ? 'MINDEE_MCP_PORT (--port)' : 'MINDEE_MCP_WEBHOOK_PORT (--webhook-port)'));
        })
      : undefined;
  const receiver = listener ? `${listener.url}/webhooks/mindee` : undefined;

  if (config.emulator) {
    const { startEmulator, DEMO_MODELS, DEMO_WEBHOOKS, EMULATOR_WEBHOOK_SECRET } = await import('mindee-v2-emulator');
    // With a receiver, the demo models' webhooks deliver to it: results are pushed, as from Mindee.
    if (receiver) {
      webhookSecrets = webhookSecrets.length > 0 ? webhookSecrets : [EMULATOR_WEBHOOK_SECRET];
      webhookIds = webhookIds.length > 0 ? webhookIds : [DEMO_WEBHOOKS.invoiceSuccess];
    }
    const emulator = await startEmulator({
      processingMs: config.emulatorProcessingMs,
      ...(receiver ? { webhookUrl: receiver, webhookSecret: webhookSecrets[0] } : {}),
    });
    // The real key, if one is set, is never sent to the emulator.
    apiKey = emulator.apiKey;
    baseUrl = emulator.url;
    closeEmulator = () => emulator.close();
    // The emulator's demo models get their names as aliases: "invoice", "receipt", "ocr"…
    emulatorAliases = Object.fromEntries(Object.entries(DEMO_MODELS).map(([name, id]) => [name.toLowerCase(), id]));
  }

  const secrets = [config.apiKey, apiKey, ...config.httpTokens, ...webhookSecrets, redisPassword(config.redisUrl)];
  const makeLogger = (more: ReadonlyArray<string | undefined>) =>
    createLogger({ level: config.logLevel, format: config.logFormat, redact: createRedactor([...secrets, ...more]) });
  const log = makeLogger([]);
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
  };
  const rateLimits = { postPerMinute: config.maxPostsPerMinute, getPerMinute: config.maxGetsPerMinute, windowMs: config.rateWindowSeconds * 1000 };
  const resultCache = { maxEntries: config.cacheResults, maxBytes: config.cacheMegabytes * 1024 * 1024, ttlMs: config.cacheTtlSeconds * 1000 };
  const requestTimeoutMs = config.requestTimeoutSeconds * 1000;
  const state = config.redisUrl
    ? await redisState(config.redisUrl, { rateLimits, results: resultCache, leaseMs: requestTimeoutMs, log, sharedUploads: config.uploadDir !== undefined })
    : undefined;
  if (config.redisUrl) log.info(`shared state on Redis at ${maskRedisUrl(config.redisUrl)}${config.rateScope ? `, rate scope "${config.rateScope}"` : ''}`);
  // The HTTP side is loaded only when it serves: a stdio server starts without it.
  const httpSide = http ? await import('./http/index.js') : undefined;
  const metrics = httpSide ? new httpSide.Metrics(httpSide.toolNames(settings).all) : undefined;
  // With Redis, what the planner learns is shared there instead.
  const timings = config.stateDir && !state ? new FileTimingStore({ dir: config.stateDir, warn: (message) => log.warn(message) }) : undefined;
  const connection = new MindeeConnection({
    baseUrl,
    requestTimeoutMs,
    rateLimits,
    resultCache,
    state,
    rateScope: config.rateScope,
    maxResponseBytes: config.maxResponseMegabytes * 1024 * 1024,
    missingKeyHint: MISSING_KEY_HINT,
    publicKey: config.emulator ? apiKey : undefined,
    timings,
    observe: metrics?.observeAttempt,
    observeWait: metrics?.observeWait,
    webhooks: {
      ids: webhookIds.map((id) => id.toLowerCase()),
      received: receiver !== undefined && webhookSecrets.length > 0,
      fallbackMs: config.webhookFallbackSeconds * 1000,
    },
  });
  const files = new FileAccess({ allowedDirs: config.allowedDirs, allowHardLinks: config.allowHardLinks });
  for (const warning of files.warnings) log.warn(warning);
  if (webhookIds.length > 0 && !receiver) log.warn('MINDEE_MCP_WEBHOOK_IDS is set but nothing here receives webhooks: jobs are polled as usual.');
  const where = config.emulator ? `the local emulator at ${baseUrl}` : baseUrl;

  if (http) {
    const remote = await httpSide!.createRemoteServer({ config: { ...config, webhookSecrets }, connection, serverKey: apiKey, files, settings, makeLogger, metrics });
    listener!.serve(remote.app, remote);
    let closing = false;
    const shutdown = async (why: string) => {
      if (closing) return;
      closing = true;
      log.info(`shutting down (${why}): no new requests; calls in flight have ${config.shutdownSeconds} s to end`);
      const inTime = await listener!.shutdown(config.shutdownSeconds * 1000);
      if (!inTime) log.warn(`calls still in flight after ${config.shutdownSeconds} s were ended (MINDEE_MCP_SHUTDOWN_SECONDS)`);
      await Promise.allSettled([remote.close(), connection.close(), timings?.flush(), closeEmulator?.(), state?.close()]);
      process.exit(0);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
    log.info(`mindee-mcp ${VERSION} serving MCP (Streamable HTTP) at ${listener!.url}/mcp, auth: ${config.auth}, Mindee API: ${where}`);
    if (webhookSecrets.length > 0) log.info(`receiving Mindee webhooks at ${receiver}`);
    return;
  }

  const client = connection.client(apiKey);
  if (listener) {
    const { webhookOnlyApp } = await import('./http/webhooks.js');
    listener.serve(webhookOnlyApp({ secrets: webhookSecrets, maxBodyBytes: config.maxResponseMegabytes * 1024 * 1024, connection, log }));
    log.info(`receiving Mindee webhooks at ${receiver}`);
  }
  const server = createServer({ client, files, log, settings });
  const transport = new BoundedStdioServerTransport();

  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    log.debug(`shutting down (${why})`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    // The learned timings are flushed even if closing the connection fails on the way.
    await Promise.allSettled([server.close(), listener?.shutdown(1000), connection.close(), timings?.flush(), closeEmulator?.(), state?.close()]);
    process.exit(0);
  };
  // The transport does not end the process when the host closes stdin: do it here.
  process.stdin.on('end', () => void shutdown('stdin ended'));
  process.stdin.on('close', () => void shutdown('stdin closed'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await server.connect(transport);
  log.info(`mindee-mcp ${VERSION} serving on stdio, Mindee API: ${where}${apiKey ? '' : ' (no API key set: tool calls will explain how to set one)'}`);
  log.debug(`learned poll timings: ${timings ? timings.path : 'not kept (MINDEE_MCP_STATE_DIR=off)'}`);
  log.info(`allowed directories: ${files.directories().join(', ') || '(none: file_path is refused until one is configured or the client shares roots)'}`);
}

/** The shared state on Redis; a Redis that cannot be used ends the process with a message naming it. */
async function redisState(url: string, options: Omit<RedisStateOptions, 'url'>): Promise<SharedState> {
  const redis = await import('./state/redis/index.js');
  try {
    // A request can outlive its time-out by its last retry's backoff: the lease covers both.
    return await redis.createRedisState({ url, ...options, leaseMs: (options.leaseMs ?? 120_000) + 30_000 });
  } catch (error) {
    if (!(error instanceof redis.RedisUnavailableError)) throw error;
    process.stderr.write(`mindee-mcp: ${error.message}\nCheck that Redis runs and the URL, user and password are right, or unset MINDEE_MCP_REDIS_URL to keep the state in this process.\n`);
    process.exit(1);
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

/** Why the socket could not open, and which setting changes it. */
function listenProblem(error: unknown, host: string, port: number, setting: string): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return `could not listen on ${host}:${port}: the port is already in use. Stop what uses it, or choose another port with ${setting}.`;
  if (code === 'EACCES') return `could not listen on ${host}:${port}: permission denied (ports below 1024 need privileges). Choose another port with ${setting}.`;
  if (code === 'EADDRNOTAVAIL') return `could not listen on ${host}:${port}: this machine has no such address. Check MINDEE_MCP_HOST (--host).`;
  return `could not listen on ${host}:${port}: ${errorMessage(error)}.`;
}

main(process.argv.slice(2), process.env).catch((error: unknown) => {
  // A setting that cannot work (a port in use) is said plainly; anything else is a bug, with its stack.
  if (error instanceof ConfigError) process.stderr.write(`mindee-mcp: ${error.message}\n`);
  else process.stderr.write(`mindee-mcp: fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
