// Scenario 12: many calls waiting at once on one process. N enqueue_document calls over HTTP (the
// 2025 era, SSE answers with progress), each on its own connection, against jobs the emulator
// holds until all N are waiting; then a tools/list is timed, the jobs are completed, and every
// call must end with its result. The server's peak RSS is read from /proc (Linux).
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { DEMO_MODELS, startEmulator } from 'mindee-v2-emulator';
import { CLI, ms, num, trackCloser } from './lib.mjs';
import { freePort, startChild } from './s11-throughput.mjs';

const TOKEN = 'bench-token-0123456789abcdef0123';

export async function scenario12(opts, report) {
  const n = opts.n12;
  report.progress(`scenario 12: ${n} enqueue_document calls waiting at once over HTTP (SSE, progress), one server process…`);
  const emulator = await startEmulator({ rateLimits: false, processingMs: Infinity });
  trackCloser(() => emulator.close());
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const server = await startChild([CLI, '--transport', 'http', '--port', String(port), '--auth', 'token'], {
    MINDEE_V2_BASE_URL: emulator.url,
    MINDEE_V2_API_KEY: emulator.apiKey,
    MINDEE_MCP_HTTP_TOKENS: TOKEN,
    MINDEE_MCP_LOG_LEVEL: 'warn',
    MINDEE_MCP_MAX_CONCURRENT_CALLS: String(n + 10),
    MINDEE_MCP_MAX_POSTS_PER_MINUTE: '1000000',
    MINDEE_MCP_MAX_GETS_PER_MINUTE: '1000000',
    MINDEE_MCP_MAX_WAIT: '590',
  }, null, 'stderr', url);
  const dispatcher = new Agent({ connections: n + 20 });
  trackCloser(() => dispatcher.close());
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}` };
  try {
    const created = [];
    let allCreated;
    const waitingAll = new Promise((resolve) => (allCreated = resolve));
    emulator.on('job-created', (job) => {
      created.push(job.id);
      if (created.length === n) allCreated();
    });
    const t0 = performance.now();
    const calls = Array.from({ length: n }, (_, i) =>
      request(url, {
        dispatcher,
        method: 'POST',
        headers,
        headersTimeout: 0,
        bodyTimeout: 0,
        body: JSON.stringify({ jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, url: `https://example.com/${i}.pdf`, max_wait_seconds: 590 }, _meta: { progressToken: i + 1 } } }),
      }).then(async (res) => {
        const text = await res.body.text();
        const messages = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
        const answer = messages.find((m) => m.id === i + 1);
        return { progress: messages.filter((m) => m.method === 'notifications/progress').length, ok: res.statusCode === 200 && answer?.result && !answer.result.isError && answer.result.structuredContent?.result?.inference_id };
      }),
    );
    await waitingAll;
    const waitingAfter = performance.now() - t0;
    // Every call is waiting: time tools/list meanwhile.
    const lists = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await request(url, { dispatcher, method: 'POST', headers: { ...headers, accept: 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: `list-${i}`, method: 'tools/list', params: {} }) });
      const body = await res.body.json();
      if (!body.result?.tools) throw new Error(`tools/list failed: ${JSON.stringify(body).slice(0, 200)}`);
      lists.push(performance.now() - t);
    }
    const rssWhileWaiting = rss(server.child.pid);
    for (const id of created) emulator.completeJob(id);
    const outcomes = await Promise.all(calls);
    const ended = outcomes.filter((o) => o.ok).length;
    const peak = peakRss(server.child.pid);
    const res = { n, waitingAfterMs: waitingAfter, toolsListMs: lists, rssWhileWaitingMiB: rssWhileWaiting, peakRssMiB: peak, ended, withProgress: outcomes.filter((o) => o.progress > 0).length };
    const maxList = Math.max(...lists);
    report.row('12 calls waiting at once', `${n} enqueue calls over HTTP (SSE): ended with their result`, `${ended} / ${n}`, '—', 'all', ended === n, `${res.withProgress} had progress`);
    report.row('12 calls waiting at once', 'server RSS while all wait', `${num(rssWhileWaiting, 0)} MiB`, '—', '≤ 300 MiB', rssWhileWaiting !== null && rssWhileWaiting <= 300);
    report.row('12 calls waiting at once', 'server peak RSS (all results at once included)', `${num(peak, 0)} MiB`, '—', '≤ 300 MiB', peak !== null && peak <= 300);
    report.row('12 calls waiting at once', 'tools/list meanwhile (max of 5)', ms(maxList, 1), '—', '≤ 100 ms', maxList <= 100);
    return res;
  } finally {
    server.child.kill('SIGTERM');
  }
}

function statusField(pid, field) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
    return line ? Number.parseInt(line.split(/\s+/)[1], 10) / 1024 : null;
  } catch {
    return null;
  }
}
const rss = (pid) => statusField(pid, 'VmRSS');
const peakRss = (pid) => statusField(pid, 'VmHWM');
