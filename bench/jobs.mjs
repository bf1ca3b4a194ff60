// One run of many jobs by one client against its own in-process emulator (scenarios 1 and 2).
// The emulator and the client share one clock (Date.now of this process): for each job the
// emulator records when it marked the job finished, the runner when the caller got the result.
import { basename } from 'node:path';
import * as mindee from 'mindee';
import { MindeeClient } from '../dist/client/mindee-client.js';
import { prepareDocument } from '../dist/client/inputs.js';
import { FileTimingStore } from '../dist/state/timings.js';
import { DEMO_MODELS, startEmulator } from 'mindee-v2-emulator';
import { MINDEE_ORIGIN, pool, sdkDispatcher, trackCloser } from './lib.mjs';

export const MODEL_ID = DEMO_MODELS.invoice;

/**
 * @param {object} o
 * @param {'ours'|'sdk'} o.client
 * @param {{path: string, name: string, pages: number, processingMs: number}[]} o.docs
 * @param {number} o.concurrency
 * @param {boolean} o.rateLimits  Mindee's 200 POST / 1200 GET a minute, or none
 * @param {number} o.deadlineMs   ours only: the deadline given to enqueue/waitForResult
 * @param {string} [o.stateDir]   ours only: where learned timings are read at start and written at the end (default: memory only)
 */
export async function runJobs(o) {
  const byName = new Map(o.docs.map((d) => [`${d.name}.pdf`, d]));
  const pageMismatch = [];
  const emulator = await startEmulator({
    // The SDK refuses non-https result URLs: its emulator names Mindee's origin, which the
    // SDK's dispatcher rewrites. Ours talks to the emulator's own URL.
    publicBaseUrl: o.client === 'sdk' ? MINDEE_ORIGIN : undefined,
    rateLimits: o.rateLimits ? { postPerMinute: 200, getPerMinute: 1200 } : false,
    processingMs: (info) => {
      const doc = byName.get(info.filename);
      if (!doc) throw new Error(`unknown document ${info.filename}`);
      if (info.pageCount !== doc.pages) pageMismatch.push(`${info.filename}: ${info.pageCount} != ${doc.pages}`);
      return doc.processingMs;
    },
  });
  const closeEmulator = trackCloser(() => emulator.close());
  const finished = new Map(); // job id -> {at, resultPath}
  emulator.on('job-finished', (job) => {
    finished.set(job.id, { at: Date.now(), resultPath: job.result_url ? new URL(job.result_url).pathname : null, status: job.status });
  });

  let ours = null;
  let retries = 0;
  let sdk = null;
  let closeClient;
  let rewritten = null;
  if (o.client === 'ours') {
    const timings = o.stateDir ? new FileTimingStore({ dir: o.stateDir, warn: (m) => process.stderr.write(`bench: ${m}\n`) }) : undefined;
    ours = new MindeeClient({ apiKey: emulator.apiKey, baseUrl: emulator.url, observe: (e) => void (e.retried && retries++), timings });
    closeClient = trackCloser(() => ours.close());
  } else {
    const d = sdkDispatcher(emulator.url);
    rewritten = d.rewritten;
    sdk = new mindee.Client({ apiKey: emulator.apiKey, dispatcher: d.dispatcher });
    closeClient = trackCloser(d.close);
  }

  const jobs = o.docs.map((doc, index) => ({ index, name: doc.name, pages: doc.pages, processingMs: doc.processingMs }));
  const started = Date.now();
  try {
    await pool(o.docs, o.concurrency, async (doc, index) => {
      const rec = jobs[index];
      rec.startedAt = Date.now();
      try {
        if (ours) {
          const deadline = Date.now() + o.deadlineMs;
          const prepared = await prepareDocument({ path: doc.path });
          // The prepared document is passed whole (it carries pageCount for the client to use).
          const job = await ours.enqueue(prepared, { modelId: MODEL_ID }, { deadline }).finally(() => prepared.close());
          rec.jobId = job.id;
          const outcome = await ours.waitForResult(job, { deadline });
          rec.deliveredAt = Date.now();
          if (outcome.state !== 'processed' || !outcome.inference) {
            throw Object.assign(new Error(`ended ${outcome.state}${outcome.resultError ? `: ${outcome.resultError.message}` : ''}`), {
              category: outcome.state === 'processing' ? 'deadline' : outcome.state,
            });
          }
        } else {
          const input = new mindee.PathInput({ inputPath: doc.path });
          const response = await sdk.enqueueAndGetResult(mindee.product.Extraction, input, { modelId: MODEL_ID });
          rec.deliveredAt = Date.now();
          rec.jobId = response.inference.job.id;
          if (response.inference.file.name !== basename(doc.path)) throw new Error('result of another document');
        }
        rec.ok = true;
      } catch (error) {
        rec.ok = false;
        rec.failedAt = Date.now();
        rec.error = categorise(error);
        rec.message = String(error?.message ?? error).slice(0, 300);
      }
    });
  } finally {
    await closeClient();
  }
  const wallMs = Date.now() - started;

  // GETs per job from the emulator's request log: its job route plus its result route.
  const getsByPath = new Map();
  let status429 = { POST: 0, GET: 0 };
  for (const r of emulator.requests) {
    if (r.status === 429) status429[r.method === 'POST' ? 'POST' : 'GET']++;
    if (r.method === 'GET') getsByPath.set(r.path, (getsByPath.get(r.path) ?? 0) + 1);
  }
  const requestsLogged = emulator.requests.length;
  // Requests the emulator received per 10 s since the run started (by arrival time).
  const timeline = [];
  for (const r of emulator.requests) {
    const b = Math.max(0, Math.floor((r.at - started) / 10_000));
    while (timeline.length <= b) timeline.push({ fromS: timeline.length * 10, get: 0, post: 0, status429: 0 });
    timeline[b][r.method === 'POST' ? 'post' : 'get']++;
    if (r.status === 429) timeline[b].status429++;
  }
  await closeEmulator();
  for (const rec of jobs) {
    const fin = rec.jobId ? finished.get(rec.jobId) : undefined;
    rec.finishedAt = fin?.at ?? null;
    rec.delayMs = rec.ok && fin ? rec.deliveredAt - fin.at : null;
    rec.gets = rec.jobId ? (getsByPath.get(`/v2/jobs/${rec.jobId}`) ?? 0) + (fin?.resultPath ? (getsByPath.get(fin.resultPath) ?? 0) : 0) : null;
  }
  // Jobs this run did not enqueue: the SDK loses the job id when polling throws.
  const unattributedGets = [...getsByPath.values()].reduce((a, b) => a + b, 0) - jobs.reduce((a, r) => a + (r.gets ?? 0), 0);
  return {
    client: o.client,
    jobs,
    wallMs,
    status429,
    requestsLogged,
    timeline,
    unattributedGets,
    retries: ours ? retries : null,
    pageMismatch,
    sdkRequestsRewritten: rewritten ? { ...rewritten } : null,
  };
}

function categorise(error) {
  if (error?.category) return error.category;
  const status = typeof error?.status === 'number' ? error.status : null;
  if (status) return `HTTP ${status}`;
  return error?.name ?? 'Error';
}

/**
 * The same jobs through our client and through the SDK: at the same time (each on its own
 * emulator), or one after the other with `sequential`. Returns [ours, sdk].
 */
export async function runBoth(options, sequential) {
  const run = (client) => runJobs({ ...options, client });
  if (!sequential) return Promise.all([run('ours'), run('sdk')]);
  const ours = await run('ours');
  return [ours, await run('sdk')];
}
