/**
 * Who may call, and with whose Mindee key. Each mode turns a request into a Principal or
 * answers 401 with `WWW-Authenticate`:
 * - mindee-key: the caller's own Mindee key (`Authorization: Bearer md_…` or `X-Mindee-Api-Key`);
 * - token: one of the configured bearer tokens, compared in constant time (the SDK's
 *   `requireBearerAuth` with a verifier of ours);
 * - oauth: a JWT access token checked with jose against the issuer's JWKS, issuer, audience
 *   (this server's public URL) and expiry (the SDK's `requireBearerAuth` again), with RFC 9728
 *   metadata served by the SDK's `metadataHandler`;
 * - none: everyone is one anonymous principal (loopback only; config.ts refuses otherwise).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { keyCaller } from '../client/mindee-client.js';
import type { AuthMode } from '../config.js';
import type { Logger } from '../log.js';
import { callerDigest, type Caller } from '../state/caller.js';
import { clip, errorMessage } from '../lib/text.js';

export const SCOPE_READ = 'mindee:read';
export const SCOPE_ENQUEUE = 'mindee:enqueue';
const ALL_SCOPES = [SCOPE_READ, SCOPE_ENQUEUE] as const;

/** The caller of one request, and what it may do. */
export interface Principal {
  /** Who calls: every job, result, task and upload is this caller's (see state/caller.ts). */
  caller: Caller;
  /** The caller's own Mindee key (mindee-key mode); otherwise calls use the server's. */
  mindeeKey?: string;
  /** Scopes granted (oauth); null: every scope. */
  scopes: ReadonlySet<string> | null;
  /** What this request carries that must never be logged. */
  secrets: string[];
}

export interface AuthOptions {
  mode: AuthMode;
  tokens?: string[];
  oauth?: { issuer: string; jwksUrl: string; publicUrl: string };
  /** Where a failure of the server's side (the issuer's keys unreadable) is said. */
  log?: Pick<Logger, 'warn'>;
}

export interface Authenticator {
  /** Sets `res.locals.principal`, or answers 401/403. */
  middleware: RequestHandler;
  /** Routes to mount before everything else (the RFC 9728 metadata), if any. */
  routes?: { path: string; handler: RequestHandler };
  /** The URL of the resource metadata, in oauth mode: 401 and 403 answers point at it. */
  resourceMetadataUrl?: string;
}

/** Longest credential read from a header: keys and JWTs are far shorter. */
const MAX_CREDENTIAL_CHARS = 8192;
/** Far in the future: static tokens do not expire, but requireBearerAuth wants an expiry. */
const NEVER = 32_503_680_000;

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('internal: no principal on an authenticated route');
  return principal;
}

/** The resource this server is, for OAuth: `<public URL>/mcp`. */
function resourceUrl(publicUrl: string): URL {
  return new URL(`${publicUrl.replace(/\/+$/, '')}/mcp`);
}

export function createAuthenticator(options: AuthOptions): Authenticator {
  switch (options.mode) {
    case 'none':
      return {
        middleware: (_req, res, next) => {
          res.locals.principal = { caller: { id: 'anonymous' }, scopes: null, secrets: [] } satisfies Principal;
          next();
        },
      };
    case 'mindee-key':
      return { middleware: mindeeKeyAuth };
    case 'token':
      return bearer(tokenVerifier(options.tokens ?? []), (info) => ({ caller: { id: info.clientId }, scopes: null, secrets: [info.token] }));
    case 'oauth': {
      const oauth = options.oauth!;
      const resource = resourceUrl(oauth.publicUrl);
      const metadataUrl = getOAuthProtectedResourceMetadataUrl(resource);
      const handler = metadataHandler({
        resource: resource.href,
        authorization_servers: [oauth.issuer],
        scopes_supported: [...ALL_SCOPES],
        bearer_methods_supported: ['header'],
        resource_name: 'Mindee document extraction (mindee-mcp)',
      });
      const authenticator = bearer(
        jwtVerifier(oauth, resource, options.log),
        (info) => ({ caller: { id: String(info.extra?.caller) }, scopes: new Set(info.scopes), secrets: [info.token] }),
        metadataUrl,
      );
      return { ...authenticator, routes: { path: new URL(metadataUrl).pathname, handler }, resourceMetadataUrl: metadataUrl };
    }
  }
}

/** The SDK's bearer middleware, then the principal from what the verifier found. */
function bearer(verifier: OAuthTokenVerifier, toPrincipal: (info: AuthInfo) => Principal, resourceMetadataUrl?: string): Authenticator {
  const check = requireBearerAuth({ verifier, resourceMetadataUrl });
  return {
    middleware: (req, res, next) => {
      void check(req, res, (error?: unknown) => {
        if (error) return next(error);
        const info = (req as Request & { auth?: AuthInfo }).auth;
        if (!info) return next(new Error('internal: the bearer check passed without auth info'));
        res.locals.principal = toPrincipal(info);
        next();
      });
    },
  };
}

/** A digest of fixed length, so tokens of any length compare in constant time. */
export const digest = (value: string) => createHash('sha256').update(value).digest();

function tokenVerifier(tokens: string[]): OAuthTokenVerifier {
  const known = tokens.map(digest);
  return {
    async verifyAccessToken(token) {
      const presented = digest(token);
      let match = false;
      // Every token is compared, whatever matched: the time taken tells nothing.
      for (const k of known) match = timingSafeEqual(k, presented) || match;
      if (!match) throw new InvalidTokenError('The bearer token is not one this server accepts');
      return { token, clientId: `token:${callerDigest(token)}`, scopes: [...ALL_SCOPES], expiresAt: NEVER };
    },
  };
}

/** The issuer's keys could not be fetched: nothing is known of the token, and the fault is not the caller's. */
class KeysUnavailable extends Error {}

/** A warning about the issuer's keys at most this often: an outage refuses every request. */
const KEYS_WARNING_EVERY_MS = 30_000;

function jwtVerifier(oauth: { issuer: string; jwksUrl: string; publicUrl: string }, resource: URL, log?: Pick<Logger, 'warn'>): OAuthTokenVerifier {
  const remote = createRemoteJWKSet(new URL(oauth.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
  const jwksHost = new URL(oauth.jwksUrl).host;
  let warnedAt = -Infinity;
  let refusedSince = 0;
  // Every failure of the key set but "no key matches" is a failure to read it (unreachable, not 200, not JSON, time-out).
  const jwks: typeof remote = Object.assign(async (...args: Parameters<typeof remote>) => {
    try {
      return await remote(...args);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) throw error;
      refusedSince++;
      if (Date.now() - warnedAt >= KEYS_WARNING_EVERY_MS) {
        warnedAt = Date.now();
        log?.warn(
          `oauth: the issuer's signing keys (JWKS at ${jwksHost}) could not be read: ${clip(errorMessage(error), 200)}${errorCause(error)}; ${refusedSince} request(s) refused since the last such line. Check MINDEE_MCP_OAUTH_JWKS_URL and that the issuer answers.`,
        );
        refusedSince = 0;
      }
      throw new KeysUnavailable('', { cause: error });
    }
  }, remote);
  // The audience is this server: its /mcp resource, or its public URL as such.
  const audience = [resource.href, oauth.publicUrl.replace(/\/+$/, ''), `${oauth.publicUrl.replace(/\/+$/, '')}/`];
  return {
    async verifyAccessToken(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, { issuer: oauth.issuer, audience, requiredClaims: ['exp'], clockTolerance: 5 }));
      } catch (error) {
        if (error instanceof KeysUnavailable) {
          throw new InvalidTokenError("The token could not be checked: this server could not read its issuer's signing keys (JWKS). Try again in a minute; if it persists, tell the server's operator");
        }
        throw new InvalidTokenError(jwtProblem(error));
      }
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : Array.isArray(payload.scp) ? payload.scp.filter((s): s is string => typeof s === 'string') : [];
      // A caller is its issuer and subject: a token without a subject (a client's own, with only
      // client_id or azp) would share one caller with a user of that name — refused.
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
        throw new InvalidTokenError('The access token has no subject (sub claim): this server tells its callers apart by issuer and subject, so it needs a token issued for a user or a client with its own sub');
      }
      const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : payload.sub;
      return { token, clientId, scopes, expiresAt: payload.exp, resource, extra: { caller: oauthCaller(payload.iss ?? oauth.issuer, payload.sub).id } };
    },
  };
}

/** An OAuth caller: the issuer and the subject, whole (a digest, so any length fits a key). */
function oauthCaller(issuer: string, subject: string): Caller {
  return { id: `oauth:${callerDigest(issuer, subject)}` };
}

/** fetch's "fetch failed" says little: its cause (ECONNREFUSED…) says what. */
function errorCause(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (!cause) return '';
  const code = (cause as { code?: unknown }).code;
  return ` (${typeof code === 'string' ? code : clip(errorMessage(cause), 100)})`;
}

/** Why a JWT was refused, in words that carry nothing of the token. */
function jwtProblem(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The access token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'The access token was not issued for this server (audience)';
    if (error.claim === 'iss') return 'The access token was not issued by the expected issuer';
    return `The access token's ${clip(error.claim, 40)} claim is not valid`;
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The access token\'s signature does not verify';
  return 'The access token is not a valid JWT';
}

/** mindee-key mode: the caller's Mindee key, from `X-Mindee-Api-Key` or `Authorization: Bearer`. */
function mindeeKeyAuth(req: Request, res: Response, next: NextFunction): void {
  const header = req.headers['x-mindee-api-key'];
  const fromHeader = typeof header === 'string' ? header.trim() : undefined;
  const authorization = req.headers.authorization;
  let key = fromHeader;
  if (!key && authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return unauthorized(res, 'invalid_request', 'The Authorization header must be "Bearer <your Mindee API key>"');
    key = m[1];
  }
  if (!key) return unauthorized(res, null, 'Send your Mindee API key as "Authorization: Bearer md_…" or "X-Mindee-Api-Key: md_…"');
  // Mindee wants the raw key: a "Bearer " left in the header value is taken off.
  key = key.replace(/^Bearer\s+/i, '');
  if (key.length > MAX_CREDENTIAL_CHARS || /\s/.test(key)) return unauthorized(res, 'invalid_token', 'The Mindee API key is malformed');
  // Mindee v2 keys start with md_: anything else (a v1 key, a token meant for another server) is refused here, not sent on.
  if (!/^md_[\w-]+$/.test(key)) return unauthorized(res, 'invalid_token', 'This is not a Mindee v2 API key (they start with md_)');
  res.locals.principal = { caller: keyCaller(key), mindeeKey: key, scopes: null, secrets: [key] } satisfies Principal;
  next();
}

function unauthorized(res: Response, error: 'invalid_request' | 'invalid_token' | null, description: string): void {
  const params = [`realm="mindee-mcp"`, ...(error ? [`error="${error}"`, `error_description="${description}"`] : [])];
  res.set('WWW-Authenticate', `Bearer ${params.join(', ')}`);
  res.status(401).json({ error: error ?? 'invalid_token', error_description: description });
}

/** 403 insufficient_scope (RFC 6750), naming the scope that is missing. */
export function insufficientScope(res: Response, scope: string, resourceMetadataUrl: string | undefined): void {
  const description = `This call needs the ${scope} scope`;
  const params = [`error="insufficient_scope"`, `error_description="${description}"`, `scope="${scope}"`];
  if (resourceMetadataUrl) params.push(`resource_metadata="${resourceMetadataUrl}"`);
  res.set('WWW-Authenticate', `Bearer ${params.join(', ')}`);
  res.status(403).json({ error: 'insufficient_scope', error_description: description });
}
