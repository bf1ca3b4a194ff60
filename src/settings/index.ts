/**
 * Every setting, declared once (core.ts, serving.ts): the config's schema, the parser of argv and
 * the environment, and the checks of the remote server's settings that depend on each other.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { createRedactor } from '../lib/redact.js';
import { readRaw, type SettingDeclaration } from './declare.js';
import { CORE_SETTINGS } from './core.js';
import { USAGE } from './help.js';
import { ConfigError, MIN_TOKEN_CHARS, SERVING_SETTINGS, type AuthMode } from './serving.js';

export { DEFAULT_MAX_WAIT_SECONDS, MAX_WAIT_SECONDS, defaultStateDir } from './core.js';
export {
  ConfigError,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_UPLOAD_DIR_MB,
  type AuthMode,
} from './serving.js';
export { USAGE, settingsTable } from './help.js';
export type { SettingDeclaration } from './declare.js';

/** Every setting by its key in the config, in the README's order. */
export const SETTINGS = { ...CORE_SETTINGS, ...SERVING_SETTINGS };
type Settings = typeof SETTINGS;

const configSchema = z.object(
  Object.fromEntries(Object.entries(SETTINGS).map(([key, declaration]) => [key, declaration.schema])) as { [K in keyof Settings]: Settings[K]['schema'] },
);
type ParsedConfig = z.infer<typeof configSchema>;
/** The settings, with the remote server's auth mode resolved. */
export type Config = Omit<ParsedConfig, 'auth'> & { auth: AuthMode };

export type Command =
  | { kind: 'serve'; config: Config }
  | { kind: 'doctor'; config: Config | { problem: string } }
  | { kind: 'emulator'; argv: string[] }
  | { kind: 'help' }
  | { kind: 'version' };

const DECLARED: Array<[string, SettingDeclaration]> = Object.entries(SETTINGS);

/** The flags parseArgs reads: each setting's, and help and version. */
const FLAGS: NonNullable<ParseArgsConfig['options']> = {
  ...Object.fromEntries(DECLARED.filter(([, d]) => d.flag !== undefined).map(([, d]) => [d.flag!, { type: d.arg === undefined ? ('boolean' as const) : ('string' as const) }])),
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
};

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
  let parsed: { values: unknown; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: FLAGS });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { positionals } = parsed;
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  if (flags.help) return { kind: 'help' };
  if (flags.version) return { kind: 'version' };

  const raw: Record<string, unknown> = {};
  for (const [key, declaration] of DECLARED) raw[key] = readRaw(declaration, { flags, env, positionals, raw });
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    // A key pasted into the wrong variable must not be printed back.
    const secrets = DECLARED.filter(([, d]) => d.secret).flatMap(([key, d]) => [env[d.env], ...(Array.isArray(raw[key]) ? (raw[key] as string[]) : [])]);
    const redact = createRedactor(secrets);
    const message = `Invalid configuration:\n${result.error.issues.map((i) => `  - ${i.message}`).join('\n')}`;
    throw new ConfigError(redact(message).replace(/md_[A-Za-z0-9_-]{4,}/g, 'md_[redacted]'));
  }
  return { kind: 'serve', config: resolveRemote(result.data) };
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
    if (auth === 'mindee-key' && config.allowedDirs.length > 0) {
      problems.push(
        'MINDEE_MCP_AUTH=mindee-key with allowed directories would let anyone holding any Mindee key list and read those directories (sending their documents to their own account) and write results into them: ' +
          'use token or oauth mode (MINDEE_MCP_AUTH) to serve the directories to known callers, or drop the directories and let callers send their documents as uploads (POST /uploads) or URLs.',
      );
    }
    if (auth === 'none' && config.allowedHosts.includes('*')) {
      problems.push(
        'MINDEE_MCP_ALLOWED_HOSTS=* with MINDEE_MCP_AUTH=none would let any web page the user opens call this server through their browser (DNS rebinding): list the host names clients use instead of "*", or choose mindee-key, token or oauth.',
      );
    }
    if (config.webhookPort !== undefined) problems.push('MINDEE_MCP_WEBHOOK_PORT is for stdio mode: the HTTP server receives webhooks at /webhooks/mindee itself.');
  }
  if (config.transport === 'stdio' && config.webhookPort !== undefined && config.webhookSecrets.length === 0 && !config.emulator) {
    problems.push('MINDEE_MCP_WEBHOOK_PORT needs MINDEE_WEBHOOK_SECRET: the signing secret of the Mindee webhook, to check each delivery.');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  // The URL clients use (…/mcp) is accepted for the server's own URL: the endpoint is added back where needed.
  const publicUrl = config.publicUrl?.replace(/\/mcp$/i, '') || undefined;
  return { ...config, auth, publicUrl };
}
