/**
 * POST /webhooks/mindee: Mindee's webhooks. The raw body (capped) must carry a valid
 * `X-Signature` — hex HMAC-SHA256 of the body with one of the configured signing secrets,
 * compared in constant time — or it is refused with 401 and has no effect. A signed payload
 * goes to the client (push.ts), which keeps the result and ends the waits for its job. Also
 * served alone on its own port in stdio mode (`--webhook-port`), for a tunnel.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import type { MindeeConnection } from '../client/mindee-client.js';
import { acceptPushed } from '../client/push.js';
import { parseJson } from '../client/transport.js';
import type { Logger } from '../log.js';
import { formatBytes } from '../text.js';
import type { Metrics, WebhookOutcome } from './metrics.js';

export interface WebhookOptions {
  secrets: string[];
  maxBodyBytes: number;
  connection: MindeeConnection;
  metrics?: Metrics;
  log: Logger;
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
  const answer = (res: express.Response, status: number, outcome: WebhookOutcome, description: string) => {
    options.metrics?.webhook(outcome);
    res.status(status).json({ status: outcome, detail: description });
  };
  return (req, res, next) => {
    read(req, res, (error?: unknown) => {
      if ((error as { type?: unknown } | undefined)?.type === 'entity.too.large') {
        res.set('Connection', 'close');
        return answer(res, 413, 'too_large', `The webhook body is over the ${formatBytes(options.maxBodyBytes)} this server reads (MINDEE_MCP_MAX_RESPONSE_MB).`);
      }
      if (error) return next(error);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const signature = req.headers['x-signature'];
      if (!verifySignature(body, typeof signature === 'string' ? signature : undefined, options.secrets)) {
        options.log.warn('a webhook delivery was refused: its X-Signature does not match MINDEE_WEBHOOK_SECRET');
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
