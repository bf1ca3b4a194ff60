/**
 * Prometheus metrics of the remote server (prom-client), served at GET /metrics: calls by tool
 * and outcome, Mindee requests by route and status (from the transport's `observe` hook), 429s,
 * rate-budget use and queue length, job wait time, webhook deliveries and uploads. Labels never
 * carry a key, a token or anything a caller chose freely: tool names are checked against the
 * known tools, everything else is a fixed word.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AttemptEvent } from '../client/transport.js';
import type { WaitEvent } from '../client/mindee-client.js';
import { BoundedMap } from '../lib/bounded-map.js';
import type { RateBudget, RequestKind } from '../state/index.js';

/** Budgets whose use is reported (the most recently used, one per rate scope). */
const BUDGETS_REPORTED = 1000;

export type CallOutcome = 'ok' | 'error' | 'cancelled' | 'protocol_error';
export type WebhookOutcome = 'stored' | 'unknown_job' | 'failure' | 'duplicate' | 'bad_signature' | 'bad_payload' | 'too_large' | 'busy' | 'not_configured';
export type UploadOutcome = 'accepted' | 'refused' | 'too_large' | 'busy';

export class Metrics {
  readonly registry = new Registry();
  readonly #budgets = new BoundedMap<string, RateBudget>(BUDGETS_REPORTED);
  readonly #toolNames: ReadonlySet<string>;
  readonly #httpRequests: Counter<'route' | 'status'>;
  readonly #toolCalls: Counter<'tool' | 'outcome'>;
  readonly #toolSeconds: Histogram<'tool'>;
  readonly #mindeeRequests: Counter<'method' | 'route' | 'status'>;
  readonly #mindeeSeconds: Histogram<'route'>;
  readonly #throttled: Counter<'by'>;
  readonly #jobWait: Histogram<'outcome'>;
  readonly #webhooks: Counter<'outcome'>;
  readonly #uploads: Counter<'outcome'>;

  constructor(toolNames: Iterable<string>) {
    this.#toolNames = new Set(toolNames);
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'mindee_mcp_' });
    this.#httpRequests = new Counter({ name: 'mindee_mcp_http_requests_total', help: 'HTTP requests answered, by route and status.', labelNames: ['route', 'status'], registers });
    this.#toolCalls = new Counter({ name: 'mindee_mcp_tool_calls_total', help: 'Tool calls, by tool and outcome (ok, error, cancelled, protocol_error).', labelNames: ['tool', 'outcome'], registers });
    this.#toolSeconds = new Histogram({
      name: 'mindee_mcp_tool_call_seconds',
      help: 'Duration of tool calls, by tool.',
      labelNames: ['tool'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 60, 120, 300, 600],
      registers,
    });
    this.#mindeeRequests = new Counter({
      name: 'mindee_mcp_mindee_requests_total',
      help: 'Attempts of requests to the Mindee API, by method, route and HTTP status (none: no answer).',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.#mindeeSeconds = new Histogram({
      name: 'mindee_mcp_mindee_request_seconds',
      help: 'Duration of attempts of requests to the Mindee API, by route.',
      labelNames: ['route'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    });
    this.#throttled = new Counter({
      name: 'mindee_mcp_throttled_total',
      help: '429 answers: by="mindee" from the Mindee API, by="server" from this server to its callers.',
      labelNames: ['by'],
      registers,
    });
    this.#jobWait = new Histogram({
      name: 'mindee_mcp_job_wait_seconds',
      help: 'Time waited for jobs, by how the wait ended (processed, failed, processing, error).',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 60, 120, 300, 600],
      registers,
    });
    this.#webhooks = new Counter({ name: 'mindee_mcp_webhooks_total', help: 'Webhook deliveries received, by outcome.', labelNames: ['outcome'], registers });
    this.#uploads = new Counter({ name: 'mindee_mcp_uploads_total', help: 'Uploads received, by outcome.', labelNames: ['outcome'], registers });
    const budgets = this.#budgets;
    const usage = (name: string, help: string, pick: (u: ReturnType<RateBudget['usage']>[RequestKind]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['kind'],
        registers,
        collect() {
          const sums: Record<RequestKind, number> = { get: 0, post: 0 };
          for (const budget of budgets.values()) {
            const u = budget.usage();
            sums.get += pick(u.get);
            sums.post += pick(u.post);
          }
          this.set({ kind: 'get' }, sums.get);
          this.set({ kind: 'post' }, sums.post);
        },
      });
    usage('mindee_mcp_rate_budget_in_window', 'Requests counted in the current rate window, summed over the rate scopes in use.', (u) => u.inWindow);
    usage('mindee_mcp_rate_budget_queued', 'Requests waiting for a rate-budget slot, summed over the rate scopes in use.', (u) => u.queued);
    usage('mindee_mcp_rate_budget_limit', 'Requests allowed per window, summed over the rate scopes in use.', (u) => u.perMinute);
  }

  /** Reports this budget's use (one per rate scope; `scope` is not secret). */
  watchBudget(scope: string, budget: RateBudget): void {
    if (this.#budgets.get(scope) !== budget) this.#budgets.set(scope, budget);
  }

  /** The transport's hook: one call per attempt of a request to Mindee. */
  readonly observeAttempt = (event: AttemptEvent): void => {
    const status = event.status === null ? 'none' : String(event.status);
    this.#mindeeRequests.inc({ method: event.method, route: event.route, status });
    this.#mindeeSeconds.observe({ route: event.route }, event.durationMs / 1000);
    if (event.status === 429) this.#throttled.inc({ by: 'mindee' });
  };

  readonly observeWait = (event: WaitEvent): void => {
    this.#jobWait.observe({ outcome: event.outcome }, event.durationMs / 1000);
  };

  request(route: string, status: number): void {
    this.#httpRequests.inc({ route, status: String(status) });
    if (status === 429) this.#throttled.inc({ by: 'server' });
  }

  toolCall(tool: string, outcome: CallOutcome, durationMs: number): void {
    const name = this.#toolNames.has(tool) ? tool : 'unknown';
    this.#toolCalls.inc({ tool: name, outcome });
    this.#toolSeconds.observe({ tool: name }, durationMs / 1000);
  }

  webhook(outcome: WebhookOutcome): void {
    this.#webhooks.inc({ outcome });
  }

  upload(outcome: UploadOutcome): void {
    this.#uploads.inc({ outcome });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
