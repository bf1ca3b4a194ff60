// Scenario 4: what a tool call over stdio costs on top of the HTTP request it makes. The built
// server runs as a child against an in-process emulator; `get_job_status` on a processed job
// makes exactly one GET, as does a direct `client.getJob` from this process. The two kinds of
// call alternate, one of each per round, so drift hits both alike.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MindeeClient } from '../dist/client/mindee-client.js';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startEmulator } from 'mindee-v2-emulator';
import { MODEL_ID } from './jobs.mjs';
import { CLI, ms, summary, trackCloser, trackPid, untrackPid } from './lib.mjs';

export async function scenario4(opts, report) {
  const calls = opts.n4;
  const warmup = 30;
  report.progress(`scenario 4: ${calls} get_job_status tool calls over stdio vs ${calls} direct getJob calls (after ${warmup} warm-up calls of each)…`);
  const emulator = await startEmulator({ rateLimits: false, processingMs: 0 });
  const closeEmulator = trackCloser(() => emulator.close());
  // Neither side may wait on its rate budget: this measures the stdio path, not pacing.
  const direct = new MindeeClient({ apiKey: emulator.apiKey, baseUrl: emulator.url, rateLimits: { postPerMinute: 1e6, getPerMinute: 1e6 } });
  const closeDirect = trackCloser(() => direct.close());
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: {
      MINDEE_V2_BASE_URL: emulator.url,
      MINDEE_V2_API_KEY: emulator.apiKey,
      MINDEE_MCP_LOG_LEVEL: 'error',
      MINDEE_MCP_MAX_GETS_PER_MINUTE: '1000000',
      // The bench learns nothing worth keeping in the user's cache.
      MINDEE_MCP_STATE_DIR: 'off',
    },
    stderr: 'pipe',
  });
  const mcp = new Client({ name: 'mindee-mcp-bench', version: '1.0.0' });
  let serverPid = null;
  const closeMcp = trackCloser(async () => {
    await mcp.close();
    untrackPid(serverPid);
  });
  try {
    const stderr = [];
    transport.stderr?.on('data', (c) => stderr.push(c) > 50 && stderr.shift());
    await mcp.connect(transport);
    serverPid = transport.pid;
    trackPid(serverPid);
    const blob = new Blob([makeSampleInvoicePdf()], { type: 'application/pdf' });
    const job = await direct.enqueue({ kind: 'file', blob, filename: 'sample-invoice.pdf' }, { modelId: MODEL_ID });
    const done = await direct.waitForResult(job, { fetchResult: false });
    if (done.state !== 'processed') throw new Error(`the job did not get processed (${done.state})`);

    const tool = async () => {
      const r = await mcp.callTool({ name: 'get_job_status', arguments: { job_id: job.id } });
      if (r.isError || r.structuredContent?.job?.status !== 'Processed') {
        throw new Error(`get_job_status failed: ${JSON.stringify(r.content).slice(0, 300)} ${Buffer.concat(stderr).toString().slice(-500)}`);
      }
    };
    const plain = async () => {
      const j = await direct.getJob(job.id);
      if (j.status !== 'Processed') throw new Error('getJob did not return the processed job');
    };
    const time = async (fn) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    for (let i = 0; i < warmup; i++) {
      await tool();
      await plain();
    }
    const before = emulator.requests.length;
    const toolMs = [];
    const directMs = [];
    for (let i = 0; i < calls; i++) {
      // Alternate which goes first, so neither always follows the other.
      if (i % 2 === 0) {
        toolMs.push(await time(tool));
        directMs.push(await time(plain));
      } else {
        directMs.push(await time(plain));
        toolMs.push(await time(tool));
      }
    }
    const getsSeen = emulator.requests.length - before;
    const res = { calls, warmup, tool: summary(toolMs), direct: summary(directMs), emulatorRequestsDuringMeasure: getsSeen };
    res.p50OverheadMs = res.tool.median - res.direct.median;
    res.pass = res.p50OverheadMs <= 2;
    report.row('4 stdio tool call vs direct', 'p50 / p90 latency', `${ms(res.tool.median, 2)} / ${ms(res.tool.p90, 2)}`, `direct getJob: ${ms(res.direct.median, 2)} / ${ms(res.direct.p90, 2)}`, '—', null);
    report.row('4 stdio tool call vs direct', 'p50 overhead of the tool call', ms(res.p50OverheadMs, 2), '(baseline)', '≤ 2 ms', res.pass);
    if (getsSeen !== 2 * calls) report.note(`scenario 4: the emulator saw ${getsSeen} requests for ${2 * calls} calls (expected one GET per call)`);
    return res;
  } finally {
    await closeMcp();
    await closeDirect();
    await closeEmulator();
  }
}
