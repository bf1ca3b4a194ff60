// Scenario 8: what a tool call costs over Streamable HTTP compared with stdio. Two built servers
// run as children against one in-process emulator: `node dist/cli.js` over stdio, and
// `node dist/cli.js --transport http` (stateless: a new MCP server per request). Both answer
// `get_job_status` on one processed job — one GET each — alternately, one of each per round.
import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DEMO_MODELS, startEmulator } from 'mindee-v2-emulator';
import { MindeeClient } from '../dist/client/mindee-client.js';
import { CLI, ms, summary, trackChild, trackCloser, trackPid, untrackPid } from './lib.mjs';

export async function scenario8(opts, report) {
  const calls = opts.n8;
  const warmup = 30;
  report.progress(`scenario 8: ${calls} get_job_status tool calls over Streamable HTTP vs ${calls} over stdio (after ${warmup} warm-up calls of each)…`);
  const emulator = await startEmulator({ rateLimits: false, processingMs: 0 });
  const closeEmulator = trackCloser(() => emulator.close());
  const env = {
    MINDEE_V2_BASE_URL: emulator.url,
    MINDEE_V2_API_KEY: emulator.apiKey,
    MINDEE_MCP_LOG_LEVEL: 'error',
    MINDEE_MCP_MAX_GETS_PER_MINUTE: '1000000',
  };
  const direct = new MindeeClient({ apiKey: emulator.apiKey, baseUrl: emulator.url, rateLimits: { postPerMinute: 1e6, getPerMinute: 1e6 } });
  const closeDirect = trackCloser(() => direct.close());

  const stdio = new Client({ name: 'bench-stdio', version: '1.0.0' });
  const stdioTransport = new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: 'pipe' });
  let stdioPid = null;
  const closeStdio = trackCloser(async () => {
    await stdio.close();
    untrackPid(stdioPid);
  });
  const child = spawn(process.execPath, [CLI, '--transport', 'http', '--port', '0'], { env: { PATH: process.env.PATH, ...env, MINDEE_MCP_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
  trackChild(child);
  const http = new Client({ name: 'bench-http', version: '1.0.0' });
  const closeHttp = trackCloser(async () => {
    await http.close();
    child.kill('SIGTERM');
  });
  try {
    await stdio.connect(stdioTransport);
    stdioPid = stdioTransport.pid;
    trackPid(stdioPid);
    const url = await new Promise((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (c) => {
        err += c;
        const m = /at (http:\/\/\S+\/mcp)/.exec(err);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`the HTTP server exited (${code}): ${err.slice(-500)}`)));
    });
    await http.connect(new StreamableHTTPClientTransport(new URL(url)));

    const job = await direct.enqueue({ kind: 'url', url: 'https://example.com/doc.pdf' }, { modelId: DEMO_MODELS.receipt });
    const done = await direct.waitForResult(job, { fetchResult: false });
    if (done.state !== 'processed') throw new Error(`the job did not get processed (${done.state})`);
    const call = (client) => async () => {
      const r = await client.callTool({ name: 'get_job_status', arguments: { job_id: job.id } });
      if (r.isError || r.structuredContent?.job?.status !== 'Processed') throw new Error(`get_job_status failed: ${JSON.stringify(r.content).slice(0, 300)}`);
    };
    const overHttp = call(http);
    const overStdio = call(stdio);
    const time = async (fn) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    for (let i = 0; i < warmup; i++) {
      await overHttp();
      await overStdio();
    }
    const httpMs = [];
    const stdioMs = [];
    for (let i = 0; i < calls; i++) {
      if (i % 2 === 0) {
        httpMs.push(await time(overHttp));
        stdioMs.push(await time(overStdio));
      } else {
        stdioMs.push(await time(overStdio));
        httpMs.push(await time(overHttp));
      }
    }
    const res = { calls, warmup, http: summary(httpMs), stdio: summary(stdioMs) };
    res.p50ExtraMs = res.http.median - res.stdio.median;
    report.row('8 HTTP vs stdio tool call', 'p50 / p90 latency', `HTTP: ${ms(res.http.median, 2)} / ${ms(res.http.p90, 2)}`, `stdio: ${ms(res.stdio.median, 2)} / ${ms(res.stdio.p90, 2)}`, '—', null);
    report.row('8 HTTP vs stdio tool call', 'p50 extra cost of HTTP', ms(res.p50ExtraMs, 2), '(stdio baseline)', '—', null);
    return res;
  } finally {
    await closeHttp();
    await closeStdio();
    await closeDirect();
    await closeEmulator();
  }
}
