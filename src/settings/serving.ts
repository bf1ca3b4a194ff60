/**
 * The settings of the remote (HTTP) server and of webhooks — each declared once (see
 * declare.ts), in the order the README lists them.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { UUID_PATTERN } from '../client/schemas.js';
import { quote } from '../lib/text.js';
import { setting } from './declare.js';
import { count, httpUrl, list, megabytes, optionalText, seconds } from './kinds.js';
import { MAX_WAIT_SECONDS } from './core.js';

const TRANSPORTS = ['stdio', 'http'] as const;
const AUTH_MODES = ['mindee-key', 'token', 'oauth', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
const LOG_FORMATS = ['text', 'json'] as const;
/** Shortest bearer token accepted in MINDEE_MCP_HTTP_TOKENS: anything shorter is guessable. */
export const MIN_TOKEN_CHARS = 16;
const DEFAULT_HTTP_PORT = 8080;
const DEFAULT_SHUTDOWN_SECONDS = 30;
const DEFAULT_MAX_BODY_MB = 8;
const DEFAULT_MAX_CONCURRENT_CALLS = 8;
const DEFAULT_HTTP_TIMEOUT_SECONDS = 300;
const DEFAULT_WEBHOOK_FALLBACK_SECONDS = 15;
/** Open connections of the HTTP server at most: 1 000 calls waiting on Mindee, and room for uploads, webhooks and probes. */
export const DEFAULT_MAX_CONNECTIONS = 1200;
/** Bytes the upload directory may hold at once (uploads waiting and arriving), in MB. */
export const DEFAULT_UPLOAD_DIR_MB = 2048;

/** A setting that cannot be used: the message names it and says what to fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
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

export const SERVING_SETTINGS = {
  transport: setting({
    env: 'MINDEE_MCP_TRANSPORT',
    flag: 'transport',
    arg: 'stdio|http',
    group: 'remote',
    schema: z.enum(TRANSPORTS, { error: 'MINDEE_MCP_TRANSPORT must be stdio or http' }).default('stdio'),
    help: "stdio, or Streamable HTTP at POST /mcp",
    readme: "`http`: serve MCP Streamable HTTP at `POST /mcp` (see [Run it as a remote server](#run-it-as-a-remote-server)).",
    default: 'stdio',
    lowerCaseEnv: true,
  }),
  host: setting({
    env: 'MINDEE_MCP_HOST',
    flag: 'host',
    arg: 'H',
    group: 'remote',
    schema: z.string().trim().min(1, 'MINDEE_MCP_HOST must not be empty').default('127.0.0.1'),
    help: "Address to listen on",
    readme: "Address the HTTP server listens on (also the `--webhook-port` listener's).",
    default: '127.0.0.1',
  }),
  port: setting({
    env: 'MINDEE_MCP_PORT',
    flag: 'port',
    arg: 'N',
    group: 'remote',
    schema: count('MINDEE_MCP_PORT', 0).max(65535, 'MINDEE_MCP_PORT must be at most 65535').default(DEFAULT_HTTP_PORT),
    help: "Port to listen on (0: any free port)",
    readme: "Port of the HTTP server (`0`: any free port; the log says which).",
    default: String(DEFAULT_HTTP_PORT),
  }),
  /** Resolved by resolveRemote when not given. */
  auth: setting({
    env: 'MINDEE_MCP_AUTH',
    flag: 'auth',
    arg: 'MODE',
    group: 'remote',
    schema: z.enum(AUTH_MODES, { error: `MINDEE_MCP_AUTH must be one of ${AUTH_MODES.join(', ')}` }).optional(),
    help: "mindee-key (callers send their own Mindee key; default without a\nserver key), token, oauth, or none (loopback only)",
    readme: "Who may call: `mindee-key` (callers send their own Mindee key), `token`, `oauth`, or `none` (loopback only).",
    defaultText: "`mindee-key` without a server key; else `token` when tokens are set, else `none`",
    lowerCaseEnv: true,
  }),
  httpTokens: setting({
    env: 'MINDEE_MCP_HTTP_TOKENS',
    secret: true,
    group: 'remote',
    schema: z.array(z.string()).default([]),
    help: "token mode: the accepted bearer tokens, comma-separated or @file",
    readme: "`token` mode: accepted bearer tokens (16+ characters), comma-separated, or `@/path/file` with one per line (`#` comments).",
    read: ({ env }) => readTokens(env.MINDEE_MCP_HTTP_TOKENS),
  }),
  publicUrl: setting({
    env: 'MINDEE_MCP_PUBLIC_URL',
    flag: 'public-url',
    arg: 'URL',
    group: 'remote',
    schema: httpUrl('MINDEE_MCP_PUBLIC_URL'),
    help: "The server's public URL (OAuth audience and metadata; its host is allowed)",
    readme: "The URL clients reach the server at (behind a proxy: the proxy's). OAuth audience and metadata; its host is allowed. Given with the endpoint (`https://host/mcp`), the `/mcp` is taken off.",
  }),
  oauthIssuer: setting({
    env: 'MINDEE_MCP_OAUTH_ISSUER',
    group: 'remote',
    schema: optionalText(),
    help: "oauth mode: the issuer (iss) of access tokens",
    readme: "`oauth` mode: the `iss` of access tokens.",
  }),
  oauthJwksUrl: setting({
    env: 'MINDEE_MCP_OAUTH_JWKS_URL',
    group: 'remote',
    schema: httpUrl('MINDEE_MCP_OAUTH_JWKS_URL'),
    help: "oauth mode: where the issuer's signing keys are",
    readme: "`oauth` mode: the issuer's JWKS (signing keys).",
  }),
  allowedHosts: setting({
    env: 'MINDEE_MCP_ALLOWED_HOSTS',
    flag: 'allowed-hosts',
    arg: 'LIST',
    group: 'remote',
    schema: list('MINDEE_MCP_ALLOWED_HOSTS', 100).transform((v) => v.map((h) => h.toLowerCase())),
    help: "Host names clients may use (default: loopback names on loopback,\nelse the public URL's host; * accepts any)",
    readme: "Host names (and browser `Origin` hosts) accepted; others get 403 (DNS rebinding). A browser page on another port must be listed with it (`localhost:6274`). `*` accepts any, and is refused with `--auth none`. Required on a non-loopback address without a public URL.",
    defaultText: "loopback names on loopback; the public URL's host",
  }),
  logFormat: setting({
    env: 'MINDEE_MCP_LOG_FORMAT',
    flag: 'log-format',
    arg: 'text|json',
    group: 'remote',
    schema: z.enum(LOG_FORMATS, { error: 'MINDEE_MCP_LOG_FORMAT must be text or json' }).default('text'),
    help: "json: one JSON line per log entry and per request",
    readme: "`json`: one JSON object per line, including one per HTTP request (method, path, rpc, tool, principal id, status, duration, outcome — never a key or token). Every stderr line is then JSON: refused settings, fatal errors, Node warnings and library output too.",
    default: 'text',
    lowerCaseEnv: true,
  }),
  maxBodyMegabytes: setting({
    env: 'MINDEE_MCP_MAX_BODY_MB',
    group: 'remote',
    schema: megabytes('MINDEE_MCP_MAX_BODY_MB', 1, 200).default(DEFAULT_MAX_BODY_MB),
    help: "Largest /mcp request body",
    readme: "Largest `/mcp` request body; larger gets 413 naming this setting (send big files as uploads).",
    default: String(DEFAULT_MAX_BODY_MB),
  }),
  maxConcurrentCalls: setting({
    env: 'MINDEE_MCP_MAX_CONCURRENT_CALLS',
    group: 'remote',
    schema: count('MINDEE_MCP_MAX_CONCURRENT_CALLS', 1).default(DEFAULT_MAX_CONCURRENT_CALLS),
    help: "Calls in flight per caller before 429",
    readme: "Requests in flight per caller (per key, token or OAuth subject) before 429 with `Retry-After`.",
    default: String(DEFAULT_MAX_CONCURRENT_CALLS),
  }),
  httpTimeoutSeconds: setting({
    env: 'MINDEE_MCP_HTTP_TIMEOUT',
    group: 'remote',
    schema: seconds('MINDEE_MCP_HTTP_TIMEOUT', 3600).default(DEFAULT_HTTP_TIMEOUT_SECONDS),
    help: "Seconds a request (an upload included) may take to arrive",
    readme: "Seconds a request (headers and body, an upload included) may take to arrive.",
    default: String(DEFAULT_HTTP_TIMEOUT_SECONDS),
  }),
  maxConnections: setting({
    env: 'MINDEE_MCP_MAX_CONNECTIONS',
    flag: 'max-connections',
    arg: 'N',
    group: 'remote',
    schema: count('MINDEE_MCP_MAX_CONNECTIONS', 1).default(DEFAULT_MAX_CONNECTIONS),
    help: "Open connections at most; one more is answered 503",
    readme: "Open HTTP connections at most (1 000 calls waiting on Mindee, and room for uploads, webhooks and probes); one more is answered 503 with `Retry-After` and closed. The process needs as many file descriptors (`ulimit -n`).",
    default: String(DEFAULT_MAX_CONNECTIONS),
  }),
  uploadDir: setting({
    env: 'MINDEE_MCP_UPLOAD_DIR',
    flag: 'upload-dir',
    arg: 'DIR',
    group: 'remote',
    schema: optionalText().refine((v) => v === undefined || isAbsolute(v), 'MINDEE_MCP_UPLOAD_DIR must be an absolute directory, e.g. /mnt/mindee-uploads'),
    help: "Where uploads wait for their one use; with Redis, a directory every replica\nmounts lets an upload_id work on any of them (default: private, per process)",
    readme: "Where `POST /uploads` keeps documents until their one use, then, once sent, for the review of their result (made `0700` if missing). With Redis, a directory every replica mounts (the same volume, at any path) lets an `upload_id` work on any replica, and any replica show a kept upload.",
    defaultText: "a private temporary directory per process",
  }),
  uploadDirMegabytes: setting({
    env: 'MINDEE_MCP_UPLOAD_DIR_MB',
    flag: 'upload-dir-mb',
    arg: 'N',
    group: 'remote',
    schema: megabytes('MINDEE_MCP_UPLOAD_DIR_MB', 1).default(DEFAULT_UPLOAD_DIR_MB),
    help: "Megabytes the upload directory may hold, uploads arriving included",
    readme: "Megabytes the upload directory may hold at once, uploads still arriving and uploads kept for review included (each counts its `Content-Length`, or 100 MB without one, until it has arrived); past it, 503 with `Retry-After`. With Redis and a shared directory, for all replicas together.",
    default: String(DEFAULT_UPLOAD_DIR_MB),
  }),
  shutdownSeconds: setting({
    env: 'MINDEE_MCP_SHUTDOWN_SECONDS',
    group: 'remote',
    schema: seconds('MINDEE_MCP_SHUTDOWN_SECONDS', 3600).default(DEFAULT_SHUTDOWN_SECONDS),
    help: "On SIGTERM, how long calls in flight may finish",
    readme: "On SIGTERM/SIGINT: new calls get 503 and calls in flight may finish for this long; then the server exits 0.",
    default: String(DEFAULT_SHUTDOWN_SECONDS),
  }),
  webhookSecrets: setting({
    env: 'MINDEE_WEBHOOK_SECRET',
    secret: true,
    group: 'remote',
    schema: z.array(z.string().min(1)).default([]),
    help: "Signing secret(s) of your Mindee webhooks, comma-separated",
    readme: "Signing secret(s) of your Mindee webhooks, comma-separated (each webhook has its own). Turns on `POST /webhooks/mindee`.",
    read: ({ env }) => (env.MINDEE_WEBHOOK_SECRET ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  }),
  webhookIds: setting({
    env: 'MINDEE_MCP_WEBHOOK_IDS',
    group: 'remote',
    schema: list('MINDEE_MCP_WEBHOOK_IDS', 100).refine((v) => v.every((id) => UUID_PATTERN.test(id)), 'MINDEE_MCP_WEBHOOK_IDS must list webhook UUIDs'),
    help: "Webhook UUIDs added to enqueues that give none (of the model's own)",
    readme: "Webhook UUIDs added to every enqueue that gives none — those the enqueued model has.",
  }),
  webhookPort: setting({
    env: 'MINDEE_MCP_WEBHOOK_PORT',
    flag: 'webhook-port',
    arg: 'N',
    group: 'remote',
    schema: count('MINDEE_MCP_WEBHOOK_PORT', 0).max(65535, 'MINDEE_MCP_WEBHOOK_PORT must be at most 65535').optional(),
    help: "stdio mode: also receive webhooks at POST /webhooks/mindee on this port",
    readme: "stdio mode: also receive webhooks at `POST /webhooks/mindee` on this port (for a tunnel).",
  }),
  webhookFallbackSeconds: setting({
    env: 'MINDEE_MCP_WEBHOOK_FALLBACK_SECONDS',
    group: 'remote',
    schema: seconds('MINDEE_MCP_WEBHOOK_FALLBACK_SECONDS', MAX_WAIT_SECONDS).default(DEFAULT_WEBHOOK_FALLBACK_SECONDS),
    help: "While a webhook is expected, first poll after",
    readme: "While a webhook is expected for a job, its first poll comes this long after the job started (a safety net).",
    default: String(DEFAULT_WEBHOOK_FALLBACK_SECONDS),
  }),
  /** token and oauth modes: jobs made outside this server with its key may be read (never another caller’s). */
  allowForeignJobs: setting({
    env: 'MINDEE_MCP_ALLOW_FOREIGN_JOBS',
    flag: 'allow-foreign-jobs',
    group: 'remote',
    schema: z.boolean().default(false),
    help: "token and oauth modes: callers may read jobs made outside this server\nwith its key (never another caller's; off by default)",
    readme: "`token` and `oauth` modes: callers may read jobs made **outside** this server with its key (the Mindee platform, another program) — never a job another caller started here. See [What each caller sees](#what-each-caller-sees).",
    defaultText: "off",
  }),
  metricsToken: setting({
    env: 'MINDEE_MCP_METRICS_TOKEN',
    secret: true,
    group: 'remote',
    schema: optionalText().refine((v) => v === undefined || v.length >= MIN_TOKEN_CHARS, `MINDEE_MCP_METRICS_TOKEN must have at least ${MIN_TOKEN_CHARS} characters (make it with \`openssl rand -hex 32\`)`),
    help: "The bearer token GET /metrics asks for (without it: /metrics on loopback only)",
    readme: "`GET /metrics` then asks for `Authorization: Bearer <this token>` (16+ characters). Without it, `/metrics` is served only by a server listening on loopback, and answers 404 on any other address.",
  }),
};
