/**
 * Webhook delivery: a compact JSON POST signed with `X-Signature` (lowercase hex
 * HMAC-SHA256 of the body), as Mindee sends it. A receiver that is down, slow or answering an
 * error only marks the delivery Failed; nothing here throws.
 */
import { createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import type { WebhookErrorJson } from './types.js';

export interface DeliveryOutcome {
  status: 'Processed' | 'Failed';
  httpStatus: number | null;
  error: WebhookErrorJson | null;
}

export function signWebhookBody(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export class WebhookSender {
  private readonly agent: Agent;
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly secret: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.agent = new Agent({ connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  async deliver(url: string, body: string): Promise<DeliveryOutcome> {
    if (this.closed) return failed(null, 503, 'The emulator was closing.', 'closing');
    const abort = new AbortController();
    this.inFlight.add(abort);
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    timer.unref();
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        signal: abort.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'mindee-v2-emulator',
          'x-signature': signWebhookBody(this.secret, body),
        },
        body,
      });
      await res.body.dump().catch(() => undefined);
      if (res.statusCode >= 200 && res.statusCode < 300) return { status: 'Processed', httpStatus: res.statusCode, error: null };
      return failed(res.statusCode, res.statusCode, `The receiver answered HTTP ${res.statusCode}.`, 'refused');
    } catch (err) {
      if (abort.signal.aborted && this.closed) return failed(null, 503, 'The emulator closed during the delivery.', 'closing');
      if (abort.signal.aborted) return failed(null, 504, `The receiver gave no answer within ${this.timeoutMs} ms.`, 'timeout');
      return failed(null, 502, `The receiver could not be reached: ${err instanceof Error ? err.message : String(err)}.`, 'unreachable');
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(abort);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const a of this.inFlight) a.abort();
    await this.agent.destroy().catch(() => undefined);
  }
}

/** Why a delivery failed: its title and the emulator's own code (`NNN-NNN`, as Mindee's codes are written). */
const FAILURES = {
  refused: { title: 'Webhook refused by the receiver', code: '101' },
  unreachable: { title: 'Webhook receiver unreachable', code: '102' },
  timeout: { title: 'Webhook receiver timed out', code: '103' },
  closing: { title: 'Webhook not delivered', code: '104' },
  payload: { title: 'Webhook payload not built', code: '105' },
} as const;

/** A delivery's error object: all four keys (`status`, `title`, `code`, `detail`), as every Mindee error has. */
export function webhookError(status: number, detail: string, why: keyof typeof FAILURES): WebhookErrorJson {
  return { status, title: FAILURES[why].title, code: `${status}-${FAILURES[why].code}`, detail };
}

/** `status` is the receiver's own HTTP status when it answered, else a gateway status (502, 504). */
function failed(httpStatus: number | null, status: number, detail: string, why: keyof typeof FAILURES): DeliveryOutcome {
  return { status: 'Failed', httpStatus, error: webhookError(status, detail, why) };
}
