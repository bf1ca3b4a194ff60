/**
 * The remote server put together from the settings: who may call (auth), with which Mindee
 * client (the caller's own key, or the server's), what each request's tools may do (no local
 * files unless directories were configured; uploads of this caller), and the routes.
 */
import type { Writable } from 'node:stream';
import type { MindeeClient, MindeeConnection } from '../client/mindee-client.js';
import { keyId } from '../client/mindee-client.js';
import { isLoopbackHost, type Config } from '../config.js';
import type { FileAccess } from '../files/file-access.js';
import type { Logger } from '../log.js';
import { BoundedMap } from '../lib/bounded-map.js';
import type { Caller } from '../state/caller.js';
import type { Clock } from '../lib/clock.js';
import type { KeptLimits, UploadLimits } from '../state/uploads.js';
import type { ToolDeps, ToolSettings } from '../tools/define.js';
import { createTools } from '../tools/index.js';
import { VERSION } from '../version.js';
import { KeyAdmission } from './admission.js';
import { createHttpApp, type HttpApp } from './app.js';
import { createAuthenticator, type Principal } from './auth.js';
import type { Metrics } from './metrics.js';
import { Uploads } from './uploads.js';
import { webhookRoute } from './webhooks.js';

export interface RemoteOptions {
  config: Config;
  connection: MindeeConnection;
  /** The server's own Mindee key: every call's in token, oauth and none modes. */
  serverKey: string | undefined;
  files: FileAccess;
  settings: ToolSettings;
  /** A logger that also redacts `secrets` (a request's key or token). */
  makeLogger(secrets: ReadonlyArray<string | undefined>): Logger;
  metrics?: Metrics;
  clock?: Clock;
  /** Largest upload: Mindee's limit for one document unless lowered (tests). */
  maxUploadBytes?: number;
  /** Bounds of the upload directory other than the settings' (tests: small ones). */
  uploadLimits?: Partial<UploadLimits>;
  /** What one caller's kept uploads may hold (tests set it low). */
  keptUploadLimits?: Partial<KeptLimits>;
  /** Opens an upload's file for writing (tests: a disk that fills up). */
  createUploadFile?: (path: string) => Writable;
}

export interface RemoteServer extends HttpApp {
  uploads: Uploads;
  close(): Promise<void>;
}

/** The Host names accepted: configured, the public URL's, and loopback names on loopback. */
function allowedHostsOf(config: Config): string[] | '*' {
  if (config.allowedHosts.includes('*')) return '*';
  const hosts = new Set(config.allowedHosts);
  if (config.publicUrl) {
    // Its name for the Host check; with a port, its origin too.
    const publicUrl = new URL(config.publicUrl);
    hosts.add(publicUrl.hostname.toLowerCase());
    if (publicUrl.port) hosts.add(publicUrl.host.toLowerCase());
  }
  if (isLoopbackHost(config.host)) {
    for (const h of ['localhost', '127.0.0.1', '[::1]']) hosts.add(h);
    hosts.add(config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host.toLowerCase());
  }
  return [...hosts];
}

/** Names of the tools that enqueue (they need the mindee:enqueue scope), and of all tools. */
export function toolNames(settings: ToolSettings): { all: string[]; write: Set<string> } {
  const tools = createTools(settings);
  return { all: tools.map((t) => t.name), write: new Set(tools.filter((t) => !t.annotations.readOnlyHint).map((t) => t.name)) };
}

/** Callers whose deps are kept for their next request (least recently seen ones go first). */
const MAX_CACHED_DEPS = 1000;

/** What a caller's deps depend on: who calls, with which Mindee key, and what its log redacts. */
function depsKey(principal: Principal): string {
  return [principal.caller.id, principal.mindeeKey ?? '', ...principal.secrets.map((s) => s ?? '')].join('\u0000');
}

export async function createRemoteServer(options: RemoteOptions): Promise<RemoteServer> {
  const { config, connection, metrics } = options;
  // One settings object for every request (tools are made once per settings), marked remote.
  const settings: ToolSettings = { ...options.settings, remote: true, callerKeys: config.auth === 'mindee-key' };
  const names = toolNames(settings);
  const requestLog = options.makeLogger([]);
  const authenticator = createAuthenticator({
    log: requestLog,
    mode: config.auth,
    tokens: config.httpTokens,
    oauth:
      config.auth === 'oauth' ? { issuer: config.oauthIssuer!, jwksUrl: config.oauthJwksUrl!, publicUrl: config.publicUrl! } : undefined,
  });
  const perReplica = config.redisUrl !== undefined && config.uploadDir === undefined;
  if (perReplica) requestLog.info('uploads stay with the replica that receives them: set MINDEE_MCP_UPLOAD_DIR to a directory every replica mounts for an upload_id to work on any of them');
  // mindee-key mode: a key of the right form is asked of Mindee (one model search) before any
  // body of its requests is read; the answer is remembered a while (admission.ts).
  const admission =
    config.auth === 'mindee-key'
      ? new KeyAdmission({ clock: options.clock, ask: (key, deadline) => connection.client(key).searchModels({ perPage: 1 }, { deadline }) })
      : undefined;
  const uploads = await Uploads.create({
    store: connection.state.uploads,
    dir: config.uploadDir,
    perReplica,
    clock: options.clock,
    metrics,
    log: requestLog,
    maxFileBytes: options.maxUploadBytes,
    limits: { bytes: config.uploadDirMegabytes * 1024 * 1024, ...options.uploadLimits },
    arrivalMs: config.httpTimeoutSeconds * 1000,
    // Kept for the review of its result as long as the result is kept (at most Mindee's 24 h).
    keptLimits: options.keptUploadLimits,
    keptMs: Math.min(config.cacheTtlSeconds, 24 * 3600) * 1000,
    createFile: options.createUploadFile,
  });
  const localFiles = config.allowedDirs.length > 0;

  // Jobs made outside this server are the key's, not any caller's: readable where the key is the
  // caller's own (mindee-key) or the one caller's (none); in token and oauth modes only when allowed.
  const foreignJobs = config.auth === 'mindee-key' || config.auth === 'none' || config.allowForeignJobs;
  const clientOf = (key: string | undefined, caller: Caller): MindeeClient => {
    const client = connection.client(key, caller, { foreignJobs });
    metrics?.watchBudget(connection.rateScope ?? keyId(key ?? ''), client.budget);
    return client;
  };
  // In mindee-key mode every call has the caller's key: the server's own is never used. In the
  // other modes callers share the server's key, but not what it fetched or started for another
  // caller: each caller has its own jobs, kept results, tasks and uploads.
  const makeDeps = (principal: Principal): ToolDeps => ({
    client: clientOf(principal.mindeeKey ?? (config.auth === 'mindee-key' ? undefined : options.serverKey), principal.caller),
    files: options.files,
    log: options.makeLogger(principal.secrets),
    settings,
    remote: { localFiles, claimUpload: (id, filename) => uploads.claim(id, principal.caller.id, filename), keptUpload: (id) => uploads.kept(id, principal.caller.id) },
  });
  // A caller's deps (its client, redactor and logger) are made once and shared by its requests:
  // stateless, they depend only on who calls with which key. The most recent callers are kept.
  const deps = new BoundedMap<string, ToolDeps>(MAX_CACHED_DEPS);
  const depsFor = (principal: Principal): ToolDeps => {
    const id = depsKey(principal);
    let made = deps.get(id);
    if (!made) deps.set(id, (made = makeDeps(principal)));
    return made;
  };

  const http = createHttpApp({
    authenticator,
    depsFor,
    writeTools: names.write,
    allowedHosts: allowedHostsOf(config),
    maxBodyBytes: config.maxBodyMegabytes * 1024 * 1024,
    maxConcurrentCalls: config.maxConcurrentCalls,
    // A call's own wait is bounded by max_wait_seconds; this only catches what would outlive it.
    requestTimeoutMs: (config.maxWaitSeconds > 590 ? config.maxWaitSeconds : 590) * 1000 + 60_000,
    log: requestLog,
    metrics,
    metricsAccess: config.metricsToken ? { token: config.metricsToken } : isLoopbackHost(config.host) ? 'open' : 'off',
    version: VERSION,
    uploads: uploads.route,
    admit: admission?.middleware,
    webhooks:
      config.webhookSecrets.length > 0
        ? webhookRoute({ secrets: config.webhookSecrets, maxBodyBytes: config.maxResponseMegabytes * 1024 * 1024, connection, metrics, log: requestLog, clock: options.clock })
        : undefined,
  });
  return { ...http, uploads, close: () => uploads.close() };
}
