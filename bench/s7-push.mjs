// Scenario 7: how soon after Mindee finishes a job does the caller hold the result — pushed by
// webhook versus found by polling — and how many GETs each path costs. The same jobs (same
// processing times) run through one client that receives the emulator's signed webhooks on a
// loopback receiver (dist/http: the listener and the webhook route) and one that only polls.
// Delay = the caller has the result − the emulator marked the job finished (one clock).
import { DEMO_MODELS, DEMO_WEBHOOKS, startEmulator } from 'mindee-v2-emulator';
import { MindeeConnection } from '../dist/client/mindee-client.js';
import { HttpListener } from '../dist/http/listener.js';
import { webhookOnlyApp } from '../dist/http/webhooks.js';
import { createLogger } from '../dist/log.js';
import { ms, num, pool, rng, summary, trackCloser } from './lib.mjs';

const SECRET = 'bench-webhook-secret';

async function run(push, jobs, concurrency) {
  const listener = push ? await HttpListener.open({ host: '127.0.0.1', port: 0, requestTimeoutMs: 60_000 }) : null;
  const closeListener = trackCloser(async () => listener?.shutdown(100));
  const times = new Map(jobs.map((j, i) => [i, j]));
  let next = 0;
  const emulator = await startEmulator({
    rateLimits: false,
    processingMs: () => times.get(next++) ?? 1000,
    ...(push ? { webhookUrl: `${listener.url}/webhooks/mindee`, webhookSecret: SECRET } : {}),
  });
  const closeEmulator = trackCloser(() => emulator.close());
  const connection = new MindeeConnection({
    baseUrl: emulator.url,
    rateLimits: { postPerMinute: 1e6, getPerMinute: 1e6 },
    webhooks: push ? { ids: [DEMO_WEBHOOKS.invoiceSuccess], received: true, fallbackMs: 15_000 } : undefined,
  });
  const closeConnection = trackCloser(() => connection.close());
  if (push) listener.serve(webhookOnlyApp({ secrets: [SECRET], maxBodyBytes: 64 * 1024 * 1024, connection, log: createLogger({ level: 'error' }) }));
  const finished = new Map();
  emulator.on('job-finished', (job) => finished.set(job.id, performance.now()));
  const client = connection.client(emulator.apiKey);
  const delays = [];
  let failed = 0;
  try {
    // The model list (which models have the webhook) is read once, before the measure.
    await client.searchModels({ perPage: 100 });
    const before = emulator.requests.length;
    await pool(jobs, concurrency, async () => {
      const job = await client.enqueue({ kind: 'url', url: 'https://example.com/doc.pdf' }, { modelId: DEMO_MODELS.invoice });
      const out = await client.waitForResult(job, { deadline: Date.now() + 120_000 });
      const got = performance.now();
      if (out.state !== 'processed' || !out.inference) return void failed++;
      delays.push(got - finished.get(job.id));
    });
    const requests = emulator.requests.slice(before);
    return {
      delay: summary(delays),
      failed,
      resultGets: requests.filter((r) => r.method === 'GET' && /\/(inferences|results)\//.test(r.path)).length,
      jobPolls: requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v2/jobs/')).length,
      searches: requests.filter((r) => r.path.startsWith('/v2/search/')).length,
    };
  } finally {
    await closeConnection();
    await closeEmulator();
    await closeListener();
  }
}

export async function scenario7(opts, report) {
  const n = opts.n7;
  const concurrency = 5;
  const r = rng(6006);
  const jobs = Array.from({ length: n }, () => Math.round(1000 + 4000 * r()));
  report.progress(`scenario 7: ${n} jobs (processing 1–5 s), ${concurrency} at once, pushed by webhook vs polled…`);
  const push = await run(true, jobs, concurrency);
  const poll = await run(false, jobs, concurrency);
  const res = { n, concurrency, push, poll };
  res.pass = { delay: push.delay.median !== null && push.delay.median <= 50, resultGets: push.resultGets === 0, delivered: push.failed === 0 && poll.failed === 0 };
  report.row('7 webhook push', 'median / p90 delay after completion', `${ms(push.delay.median)} / ${ms(push.delay.p90)}`, `polling: ${ms(poll.delay.median)} / ${ms(poll.delay.p90)}`, 'median ≤ 50 ms', res.pass.delay);
  report.row('7 webhook push', 'result GETs / job polls (all jobs)', `${push.resultGets} / ${push.jobPolls}`, `polling: ${poll.resultGets} / ${poll.jobPolls}`, '0 result GETs', res.pass.resultGets, `${num(push.jobPolls / n)} polls per pushed job`);
  if (!res.pass.delivered) report.note(`scenario 7: failed jobs — push ${push.failed}, poll ${poll.failed}`);
  return res;
}
