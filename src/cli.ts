#!/usr/bin/env node
/**
 * argv + env → config → start: the stdio MCP server (against Mindee, or with --emulator against
 * an in-process emulator), or `emulator` alone. stdout belongs to JSON-RPC; all else to stderr.
 */
import { MindeeClient } from './client/mindee-client.js';
import { ConfigError, HEARTBEAT_MS, USAGE, parseCommand, type Config } from './config.js';
import { FileAccess } from './files/file-access.js';
import { createLogger } from './log.js';
import { createRedactor } from './redact.js';
import { createServer } from './server.js';
import type { SharedState } from './state/index.js';
import { BoundedStdioServerTransport } from './stdio.js';
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

  if (config.emulator) {
    const { startEmulator, DEMO_MODELS } = await import('mindee-v2-emulator');
    const emulator = await startEmulator({ processingMs: config.emulatorProcessingMs });
    // The real key, if one is set, is never sent to the emulator.
    apiKey = emulator.apiKey;
    baseUrl = emulator.url;
    closeEmulator = () => emulator.close();
    // The emulator's demo models get their names as aliases: "invoice", "receipt", "ocr"…
    emulatorAliases = Object.fromEntries(Object.entries(DEMO_MODELS).map(([name, id]) => [name.toLowerCase(), id]));
  }

  const log = createLogger({ level: config.logLevel, redact: createRedactor([config.apiKey, apiKey, redisPassword(config.redisUrl)]) });
  const rateLimits = { postPerMinute: config.maxPostsPerMinute, getPerMinute: config.maxGetsPerMinute, windowMs: config.rateWindowSeconds * 1000 };
  const resultCache = { maxEntries: config.cacheResults, maxBytes: config.cacheMegabytes * 1024 * 1024, ttlMs: config.cacheTtlSeconds * 1000 };
  const requestTimeoutMs = config.requestTimeoutSeconds * 1000;
  let state: SharedState | undefined;
  if (config.redisUrl) {
    const redis = await import('./state/redis/index.js');
    try {
      // A request can outlive its time-out by its last retry's backoff: the lease covers both.
      state = await redis.createRedisState({ url: config.redisUrl, rateLimits, results: resultCache, leaseMs: requestTimeoutMs + 30_000, log });
    } catch (error) {
      if (!(error instanceof redis.RedisUnavailableError)) throw error;
      await closeEmulator?.();
      process.stderr.write(`mindee-mcp: ${error.message}\nCheck that Redis runs and the URL, user and password are right, or unset MINDEE_MCP_REDIS_URL to keep the state in this process.\n`);
      process.exit(1);
    }
    log.info(`shared state on Redis at ${redis.maskRedisUrl(config.redisUrl)}${config.rateScope ? `, rate scope "${config.rateScope}"` : ''}`);
  }

  const client = new MindeeClient({
    apiKey,
    baseUrl,
    requestTimeoutMs,
    rateLimits,
    resultCache,
    state,
    rateScope: config.rateScope,
    maxResponseBytes: config.maxResponseMegabytes * 1024 * 1024,
    missingKeyHint: MISSING_KEY_HINT,
  });
  const files = new FileAccess({ allowedDirs: config.allowedDirs, allowHardLinks: config.allowHardLinks });
  for (const warning of files.warnings) log.warn(warning);

  const server = createServer({ client, files, log, settings: {
      maxWaitSeconds: config.maxWaitSeconds,
      heartbeatMs: HEARTBEAT_MS,
      maxResultChars: config.maxResultChars,
      models: { defaultModelId: config.defaultModelId, aliases: { ...emulatorAliases, ...config.modelAliases } },
    },
  });
  const transport = new BoundedStdioServerTransport();

  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    log.debug(`shutting down (${why})`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    await Promise.allSettled([server.close(), client.close(), closeEmulator?.(), state?.close()]);
    process.exit(0);
  };
  // The transport does not end the process when the host closes stdin: do it here.
  process.stdin.on('end', () => void shutdown('stdin ended'));
  process.stdin.on('close', () => void shutdown('stdin closed'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await server.connect(transport);
  const where = config.emulator ? `the local emulator at ${baseUrl}` : baseUrl;
  log.info(`mindee-mcp ${VERSION} serving on stdio, Mindee API: ${where}${apiKey ? '' : ' (no API key set: tool calls will explain how to set one)'}`);
  log.info(`allowed directories: ${files.directories().join(', ') || '(none: file_path is refused until one is configured or the client shares roots)'}`);
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

main(process.argv.slice(2), process.env).catch((error: unknown) => {
  process.stderr.write(`mindee-mcp: fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
