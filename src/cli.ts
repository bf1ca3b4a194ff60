#!/usr/bin/env node
/**
 * argv + env → config → createRuntime (runtime.ts) → start: the MCP server over stdio (against Mindee, or with --emulator
 * against an in-process emulator), or over Streamable HTTP (`--transport http`), or `emulator`
 * alone. In stdio mode stdout belongs to JSON-RPC; all else goes to stderr.
 */
import { inspect } from 'node:util';
import { ConfigError, USAGE, parseCommand, type Config } from './config.js';
import type { Logger } from './log.js';
import { errorMessage } from './lib/text.js';
import { serveOnStdio } from './mcp/stdio.js';
import { createRuntime } from './runtime.js';
import { VERSION } from './version.js';

/**
 * JSON logs were asked for (--log-format json, MINDEE_MCP_LOG_FORMAT=json): read before the
 * settings are parsed, so that even a setting refused, a fatal error or a Node warning is one JSON
 * line for the log collector.
 */
const jsonLogs = ((argv: string[], env: NodeJS.ProcessEnv) => {
  const at = argv.lastIndexOf('--log-format');
  const flag = argv.findLast((a) => a.startsWith('--log-format='))?.slice('--log-format='.length) ?? (at >= 0 ? argv[at + 1] : undefined);
  return (flag ?? env.MINDEE_MCP_LOG_FORMAT ?? '').trim().toLowerCase() === 'json';
})(process.argv.slice(2), process.env);

/** A line to stderr before (or after) the logger: "mindee-mcp: …", or a JSON entry in JSON mode. */
function say(message: string): void {
  process.stderr.write(jsonLogs ? `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: message })}\n` : `mindee-mcp: ${message}\n`);
}

/**
 * In JSON mode, what libraries write with console.* and Node's process warnings go through the
 * logger too (Node would print a warning as text, and the SDK warns with console.warn).
 */
function routeStrayOutput(log: Logger): void {
  const line = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 3, breakLength: Infinity }))).join(' ');
  console.log = console.info = console.debug = (...args: unknown[]) => log.info(line(args));
  console.warn = (...args: unknown[]) => log.warn(line(args));
  console.error = (...args: unknown[]) => log.error(line(args));
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : ((rest[0] as { type?: string } | undefined)?.type ?? (warning instanceof Error ? warning.name : 'Warning'));
    log.warn(`${type}: ${warning instanceof Error ? warning.message : warning}`);
  });
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  let command;
  try {
    command = parseCommand(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      say(error.message);
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
  // The socket opens first: its URL is where webhooks go (an in-process emulator's included).
  const http = config.transport === 'http';
  const port = http ? config.port : config.webhookPort;
  const listener =
    port !== undefined
      ? await (await import('./http/listener.js')).HttpListener.open({ host: config.host, port, requestTimeoutMs: config.httpTimeoutSeconds * 1000, maxConnections: config.maxConnections }).catch((error: unknown) => {
          throw new ConfigError(listenProblem(error, config.host, port, http ? 'MINDEE_MCP_PORT (--port)' : 'MINDEE_MCP_WEBHOOK_PORT (--webhook-port)'));
        })
      : undefined;
  const receiver = listener ? `${listener.url}/webhooks/mindee` : undefined;
  // The HTTP side is loaded only when it serves: a stdio server starts without it.
  const httpSide = http ? await import('./http/index.js') : undefined;
  // Many callers at once: the heap grows less between full collections (http/heap.ts).
  httpSide?.tuneHeapForServing();
  let metrics: InstanceType<NonNullable<typeof httpSide>['Metrics']> | undefined;
  const runtime = await createRuntime(config, {
    receiver,
    // Over stdio, stdout carries JSON-RPC only: in text mode too, what a library prints with
    // console.log/info/debug goes to stderr.
    onLogger: (log) => {
      if (config.logFormat === 'json') routeStrayOutput(log);
      else if (!http) console.log = console.info = console.debug = console.error;
    },
    connection: (settings) => {
      metrics = httpSide ? new httpSide.Metrics(httpSide.toolNames(settings).all) : undefined;
      return { observe: metrics?.observeAttempt, observeWait: metrics?.observeWait };
    },
  });
  const { connection, files, log, settings, apiKey, where, timings } = runtime;
  const webhookSecrets = runtime.config.webhookSecrets;

  if (http) {
    const remote = await httpSide!.createRemoteServer({ config: runtime.config, connection, serverKey: apiKey, files, settings, makeLogger: runtime.makeLogger, metrics });
    listener!.serve(remote.app, remote);
    let closing = false;
    const shutdown = async (why: string) => {
      if (closing) return;
      closing = true;
      log.info(`shutting down (${why}): no new requests; calls in flight have ${config.shutdownSeconds} s to end`);
      const inTime = await listener!.shutdown(config.shutdownSeconds * 1000);
      if (!inTime) log.warn(`calls still in flight after ${config.shutdownSeconds} s were ended (MINDEE_MCP_SHUTDOWN_SECONDS)`);
      await Promise.allSettled([remote.close(), runtime.close()]);
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
  const stdio = serveOnStdio({ client, files, log, settings });

  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    log.debug(`shutting down (${why})`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    // The learned timings are flushed even if closing the connection fails on the way.
    await Promise.allSettled([stdio.close(), listener?.shutdown(1000), runtime.close()]);
    process.exit(0);
  };
  // The transport does not end the process when the host closes stdin: do it here.
  process.stdin.on('end', () => void shutdown('stdin ended'));
  process.stdin.on('close', () => void shutdown('stdin closed'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  log.info(`mindee-mcp ${VERSION} serving on stdio, Mindee API: ${where}${apiKey ? '' : ' (no API key set: tool calls will explain how to set one)'}`);
  log.debug(`learned poll timings: ${timings ? timings.path : 'not kept (MINDEE_MCP_STATE_DIR=off)'}`);
  log.info(`allowed directories: ${files.directories().join(', ') || '(none: file_path is refused until one is configured or the client shares roots)'}`);
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
  if (error instanceof ConfigError) say(error.message);
  else say(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
