// Scenario 4: what a tool call over stdio costs on top of the HTTP request it makes. The built
// server runs as a child against an in-process emulator; `get_job_status` on a processed job
// makes exactly one GET, as does a direct `client.getJob` from this process. The two kinds of
// call alternate, one of each per round, so drift hits both alike.
import { prepareDocument } from '../dist/client/inputs.js';
import { MindeeClient } from '../dist/client/mindee-client.js';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startEmulator } from 'mindee-v2-emulator';
import { MODEL_ID } from './jobs.mjs';
import { connectServer, ms, summary, trackCloser } from './lib.mjs';

export async function scenario4(opts, report) {
  const calls = opts.n4;
  const warmup = 30;
  report.progress(`scenario 4: ${calls} get_job_status tool calls over stdio vs ${calls} direct getJob calls (after ${warmup} warm-up calls of each)…`);
  const emulator = await startEmulator({ rateLimits: false, processingMs: 0 });
  const closeEmulator = trackCloser(() => emulator.close());
  // Neither side may wait on its rate budget: this measures the stdio path, not pacing.
  const direct = new MindeeClient({ apiKey: emulator.apiKey, baseUrl: emulator.url, rateLimits: { postPerMinute: 1e6, getPerMinute: 1e6 } });
  const closeDirect = trackCloser(() => direct.close());
  let server = null;
  try {
    server = await connectServer({
      MINDEE_V2_BASE_URL: emulator.url,
      MINDEE_V2_API_KEY: emulator.apiKey,
      MINDEE_MCP_LOG_LEVEL: 'error',
      MINDEE_MCP_MAX_GETS_PER_MINUTE: '1000000',
    });
    const mcp = server.client;
    const document = await prepareDocument({ base64: Buffer.from(makeSampleInvoicePdf()).toString('base64'), filename: 'sample-invoice.pdf' });
    const job = await direct.enqueue(document, { modelId: MODEL_ID }).finally(() => document.close());
    const done = await direct.waitForResult(job, { fetchResult: false });
    if (done.state !== 'processed') throw new Error(`the job did not get processed (${done.state})`);

    const tool = async () => {
      const r = await mcp.callTool({ name: 'get_job_status', arguments: { job_id: job.id } });
      if (r.isError || r.structuredContent?.job?.status !== 'Processed') {
        throw new Error(`get_job_status failed: ${JSON.stringify(r.content).slice(0, 300)} ${server.stderr().slice(-500)}`);
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
    await server?.close();
    await closeDirect();
    await closeEmulator();
  }
}
