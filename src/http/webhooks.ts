/**
 * POST /webhooks/mindee: Mindee's webhooks. The raw body (capped) must carry a valid
 * `X-Signature` — hex HMAC-SHA256 of the body with one of the configured signing secrets,
 * compared in constant time — or it is refused with 401 and has no effect. A signed payload
 * goes to the client (webhook-delivery.ts), which keeps the result and ends the waits for its job. Also
 * served alone on its own port in stdio mode (`--webhook-port`), for a tunnel.
 *
 * Anyone can post here, so what is read before a signature is checked is bounded: each body by
 * the result limit (a webhook carries a whole result: MINDEE_MCP_MAX_RESPONSE_MB), and the bodies
 * in flight by a count and a byte budget (WebhookGate), past which a delivery is answered 503 (Mindee
 * retries) without being read. Refused deliveries are logged at most once a minute, with a count.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import type { MindeeConnection } from '../client/mindee-client.js';
import { acceptPushed } from '../client/webhook-delivery.js';
import { parseJson } from '../client/transport.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { formatBytes } from '../lib/text.js';
import type { Metrics, WebhookOutcome } from './metrics.js';

export interface WebhookOptions {
  secrets: string[];
  maxBodyBytes: number;
  connection: MindeeConnection;
  metrics?: Metrics;
  log: Logger;
  /** The bound on bodies read before their signature is checked; default: 16 bodies, 4 × maxBodyBytes. */
  gate?: WebhookGate;
  clock?: Clock;
}

/** Bodies read at once before their signature is checked. */
const MAX_UNVERIFIED_BODIES = 16;
/** Bytes of those bodies at once, in bodies of the largest size. */
const UNVERIFIED_BODIES_OF_MAX_SIZE = 4;
/** A line about refused deliveries is written at most this often. */
const REFUSALS_LOGGED_EVERY_MS = 60_000;

/** The bodies being read before their signature is checked: a count and bytes, both bounded. */
export class WebhookGate {
  #bodies = 0;
  #bytes = 0;
  constructor(
    readonly maxBodies: number,
    readonly maxBytes: number,
  ) {}

  get bodies(): number {
    return this.#bodies;
  }

  /** Takes a place for a body of at most `bytes`, or null when the count or the bytes would pass their bound. */
  take(bytes: number): (() => void) | null {
    if (this.#bodies >= this.maxBodies || this.#bytes + bytes > this.maxBytes) return null;
    this.#bodies++;
    this.#bytes += bytes;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.#bodies--;
      this.#bytes -= bytes;
    };
  }
}

const SIGNATURE = /^[0-9a-f]{64}$/i;

/** Whether `signature` is the HMAC of the body (or of the body without line breaks, as the SDKs check it) with one of the secrets. */
export function verifySignature(body: Buffer, signature: string | undefined, secrets: string[]): boolean {
  if (!signature || !SIGNATURE.test(signature.trim())) return false;
  const given = Buffer.from(signature.trim(), 'hex');
  const compact = body.includes(10) || body.includes(13) ? Buffer.from(body.toString('utf8').replace(/[\r\n]/g, ''), 'utf8') : null;
  let ok = false;
  // Every secret is tried, whatever matched: the time taken tells nothing.
  for (const secret of secrets) {
    for (const candidate of compact ? [body, compact] : [body]) {
      ok = timingSafeEqual(createHmac('sha256', secret).update(candidate).digest(), given) || ok;
    }
  }
  return ok;
}

export function webhookRoute(options: WebhookOptions): RequestHandler {
  const read = express.raw({ type: () => true, limit: options.maxBodyBytes });
  const gate = options.gate ?? new WebhookGate(MAX_UNVERIFIED_BODIES, UNVERIFIED_BODIES_OF_MAX_SIZE * options.maxBodyBytes);
  const clock = options.clock ?? systemClock;
  const answer = (res: express.Response, status: number, outcome: WebhookOutcome, description: string) => {
    options.metrics?.webhook(outcome);
    res.status(status).json({ status: outcome, detail: description });
  };
  let lastLogged = -Infinity;
  let unlogged = 0;
  /** A refused delivery, logged at most once a minute: a flood of forged posts does not flood the log. */
  const logRefusal = (why: string) => {
    const now = clock.now();
    if (now - lastLogged < REFUSALS_LOGGED_EVERY_MS) {
      unlogged++;
      return;
    }
    const more = unlogged > 0 ? ` (and ${unlogged} more refused since the last such line)` : '';
    lastLogged = now;
    unlogged = 0;
    options.log.warn(`a webhook delivery was refused: ${why}${more}; these lines are written at most once a minute`);
  };
  const tooLarge = (res: express.Response) => {
    res.set('Connection', 'close');
    logRefusal(`its body is over the ${formatBytes(options.maxBodyBytes)} this server reads (MINDEE_MCP_MAX_RESPONSE_MB)`);
    answer(res, 413, 'too_large', `The webhook body is over the ${formatBytes(options.maxBodyBytes)} this server reads (MINDEE_MCP_MAX_RESPONSE_MB).`);
  };
  return (req, res, next) => {
    const declared = Number(req.headers['content-length']);
    const known = Number.isFinite(declared) && declared >= 0;
    if (known && declared > options.maxBodyBytes) return tooLarge(res);
    // A compressed body, or one of unknown length, may grow to the limit.
    const encoded = (req.headers['content-encoding'] ?? 'identity').toLowerCase() !== 'identity';
    const release = gate.take(known && !encoded ? declared : options.maxBodyBytes);
    if (!release) {
      // Not read: the connection goes with the body.
      res.set('Connection', 'close');
      res.set('Retry-After', '5');
      logRefusal(`${gate.maxBodies} bodies (or ${formatBytes(gate.maxBytes)}) are already being read before their signature is checked`);
      return answer(res, 503, 'busy', 'This server is reading as many unverified webhook bodies as it takes at once: deliver again in a moment.');
    }
    res.on('close', release);
    read(req, res, (error?: unknown) => {
      release();
      if ((error as { type?: unknown } | undefined)?.type === 'entity.too.large') return tooLarge(res);
      if (error) return next(error);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const signature = req.headers['x-signature'];
      if (!verifySignature(body, typeof signature === 'string' ? signature : undefined, options.secrets)) {
        logRefusal('its X-Signature does not match MINDEE_WEBHOOK_SECRET');
        return answer(res, 401, 'bad_signature', 'X-Signature is missing or does not match: check MINDEE_WEBHOOK_SECRET against the webhook\'s signing secret.');
      }
      const json = parseJson(body.toString('utf8'));
      acceptPushed(options.connection, typeof json === 'object' ? json : undefined).then((outcome) => {
        if (outcome === 'bad_payload') return answer(res, 422, outcome, 'Signed, but neither a result nor a failure payload of Mindee.');
        answer(res, 200, outcome, 'Received.');
      }, next);
    });
  };
}

/** stdio mode: the webhook route alone, for its own port. */
export function webhookOnlyApp(options: WebhookOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.post('/webhooks/mindee', webhookRoute(options));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'This port only receives Mindee webhooks, at POST /webhooks/mindee.' });
  });
  return app;
}
