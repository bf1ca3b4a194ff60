import { z } from 'zod';
import { MindeeError, MindeeInputError, MindeeJobFailedError, MindeeNotSentError } from '../client/errors.js';
import { prepareDocument, type DocumentSource } from '../client/inputs.js';
import type { Inference, Job } from '../client/schemas.js';
import type { PlainValue } from '../results/fields.js';
import { inferenceView } from '../results/inference.js';
import { jobSummary } from '../results/jobs.js';
import { renderFields } from '../results/render.js';
import { defineTool, type ToolContext, type ToolDeps } from './define.js';
import { enqueueParams, modelArgs, optionArgs, waitArgs } from './enqueue-args.js';
import { resolveModelId } from './models.js';
import { viewArgs } from './view-args.js';

/** One call may carry this many documents; more is a job for several calls. */
export const MAX_BATCH = 500;

const STATUSES = ['Processed', 'Processing', 'Failed', 'Refused', 'NotSent'] as const;
type RowStatus = (typeof STATUSES)[number];

const rowShape = z.object({
  source: z.string().describe('The file path, URL or job id this row is about.'),
  status: z
    .enum(STATUSES)
    .describe('Processed; Processing (still running: resume it); Failed (Mindee could not process it); Refused (not sent: see error); NotSent (no time was left to send it: resume it).'),
  job_id: z.string().nullable().describe('Mindee job id, once enqueued.'),
  inference_id: z.string().nullable().describe('Result id, once processed (for get_inference_result).'),
  result: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('The result: {fields} for extraction, {classification}, {crops}, {splits} or {ocr} for the others.'),
  error: z.string().nullable().describe('Why it failed or was refused.'),
});
type Row = z.infer<typeof rowShape>;

interface Work {
  source: string;
  document?: DocumentSource;
  jobId?: string;
  error?: MindeeError;
}

const inputSchema = {
  ...modelArgs,
  file_paths: z
    .array(z.string())
    .optional()
    .describe('Local files or folders inside the allowed directories; a folder means every document directly in it.'),
  urls: z.array(z.string()).optional().describe('Public https URLs of documents.'),
  job_ids: z.array(z.string()).optional().describe('Jobs of an earlier call to keep waiting for.'),
  ...optionArgs,
  ...waitArgs,
  detail: viewArgs.detail,
  fields: viewArgs.fields,
  max_chars: viewArgs.max_chars,
};
type BatchArgs = z.infer<z.ZodObject<typeof inputSchema>>;

export const enqueueDocuments = defineTool({
  name: 'enqueue_documents',
  title: 'Extract data from many documents with Mindee',
  description:
    'Send many documents at once — local files, whole folders (every document directly inside), or https URLs — ' +
    'to one Mindee model with shared options, and wait (bounded) for all of them, within Mindee\'s rate limits. ' +
    'Returns one row per document: job id, status, and its result or its error; a failure never hides the ' +
    'others. Documents still processing when the wait ends are resumed by calling again with the job_ids it gives.',
  inputSchema,
  outputSchema: {
    counts: z
      .object({
        total: z.number(),
        processed: z.number(),
        processing: z.number(),
        failed: z.number(),
        refused: z.number(),
        not_sent: z.number(),
      })
      .describe('How many documents ended in each status.'),
    documents: z.array(rowShape).describe('One row per document, in the order given (folders in name order).'),
    next_step: z.string().nullable().describe('The call that resumes what is not finished, if anything.'),
    left_out: z.string().nullable().describe('Results left out to stay within the size budget, and how to read them.'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  _meta: { 'anthropic/maxResultSizeChars': 100_000 },
  async run(args, deps, ctx) {
    const modelId = resolveModelId(args.model_id, deps.settings.models);
    const work: Work[] = [];
    for (const input of args.file_paths ?? []) {
      try {
        for (const entry of await deps.files.expand(input)) {
          if ('error' in entry) work.push({ source: entry.displayPath, error: entry.error });
          else work.push({ source: entry.displayPath, document: { path: entry.path, identity: entry.identity } });
        }
      } catch (error) {
        if (!(error instanceof MindeeError)) throw error;
        work.push({ source: input, error });
      }
    }
    for (const url of args.urls ?? []) work.push({ source: url, document: { url } });
    for (const jobId of args.job_ids ?? []) work.push({ source: jobId, jobId });
    if (work.length === 0) {
      throw new MindeeInputError('No documents were given.', { hint: 'Pass file_paths (files or folders), urls, or the job_ids of an earlier call.' });
    }
    if (work.length > MAX_BATCH) {
      throw new MindeeInputError(`${work.length} documents is more than one call takes (${MAX_BATCH}).`, {
        hint: `Split them into calls of at most ${MAX_BATCH} (for example one folder at a time).`,
      });
    }

    const waitSeconds = args.max_wait_seconds ?? deps.settings.maxWaitSeconds;
    const started = Date.now();
    const deadline = started + waitSeconds * 1000;
    let done = 0;
    const beat = () => {
      const s = (Date.now() - started) / 1000;
      // Grows with each document done, and a little with time, so every heartbeat is news.
      ctx.progress(done + Math.min(0.99, s / (waitSeconds + 1)), work.length, `${done}/${work.length} documents done… ${Math.round(s)} s`);
    };
    const heartbeat = setInterval(beat, deps.settings.heartbeatMs);
    beat();
    let rows: Array<{ row: Row; inference: Inference | null }>;
    try {
      rows = await Promise.all(
        work.map(async (w) => {
          const out = await processOne(w, args, modelId, deadline, deps, ctx);
          done++;
          beat();
          return out;
        }),
      );
    } finally {
      clearInterval(heartbeat);
    }
    if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('cancelled');

    // Results, as long as they fit the budget; the rest are read one by one.
    const budget = args.max_chars ?? deps.settings.maxResultChars;
    const view = { detail: args.detail, fields: args.fields };
    const withResults = rows.map(({ row, inference }) => ({ ...row, result: inference ? resultOf(inference, view) : null }));
    const counts = {
      total: rows.length,
      processed: count(withResults, 'Processed'),
      processing: count(withResults, 'Processing'),
      failed: count(withResults, 'Failed'),
      refused: count(withResults, 'Refused'),
      not_sent: count(withResults, 'NotSent'),
    };
    const next = resumeStep(withResults, work, args, waitSeconds);
    let documents = withResults;
    let leftOut: string | null = null;
    const render = (docs: Row[], left: string | null) => renderBatch(counts, docs, next, left);
    const size = (docs: Row[], left: string | null) =>
      Math.max(render(docs, left).length, JSON.stringify({ counts, documents: docs, next_step: next, left_out: left }).length);
    for (let keep = withResults.length; size(documents, leftOut) > budget && keep > 0; ) {
      keep = Math.max(0, Math.min(keep - 1, Math.floor(keep * 0.8)));
      const cut = withResults.filter((r, i) => i >= keep && r.result !== null);
      documents = withResults.map((r, i) => (i >= keep ? { ...r, result: null } : r));
      leftOut = cut.length
        ? `The results of ${cut.length} processed document(s) are left out to stay within ${budget} characters: read each with get_inference_result (inference_id in its row).`
        : null;
    }
    return { text: render(documents, leftOut), structured: { counts, documents, next_step: next, left_out: leftOut } };
  },
});

async function processOne(
  w: Work,
  args: BatchArgs,
  modelId: string,
  deadline: number,
  deps: ToolDeps,
  ctx: ToolContext,
): Promise<{ row: Row; inference: Inference | null }> {
  const row: Row = { source: w.source, status: 'Refused', job_id: null, inference_id: null, result: null, error: null };
  if (w.error) return { row: { ...row, error: messageOf(w.error) }, inference: null };
  let job: Job;
  try {
    if (w.jobId) {
      job = await deps.client.getJob(w.jobId, { signal: ctx.signal, deadline });
    } else {
      const document = await prepareDocument(w.document!);
      try {
        job = await deps.client.enqueue(document, enqueueParams(args, modelId), { signal: ctx.signal, deadline });
      } finally {
        await document.close();
      }
    }
  } catch (error) {
    if (!(error instanceof MindeeError) || ctx.signal.aborted) throw error;
    // Out of time before the request could go: nothing was sent, it can simply be sent later.
    if (error instanceof MindeeNotSentError && !w.jobId) {
      return { row: { ...row, status: 'NotSent', error: 'No time was left in this call to send it.' }, inference: null };
    }
    return { row: { ...row, job_id: w.jobId ?? null, status: w.jobId ? 'Processing' : 'Refused', error: messageOf(error) }, inference: null };
  }
  row.job_id = job.id;
  if (!args.wait) return { row: { ...row, status: 'Processing' }, inference: null };
  try {
    const outcome = await deps.client.waitForResult(job, { signal: ctx.signal, deadline });
    const summary = jobSummary(outcome.job);
    row.inference_id = summary.inference_id;
    if (outcome.state === 'failed') return { row: { ...row, status: 'Failed', error: messageOf(new MindeeJobFailedError(job.id, summary.error)) }, inference: null };
    if (outcome.state === 'processing') return { row: { ...row, status: 'Processing' }, inference: null };
    const error = outcome.resultError ? `Processed, but the result could not be fetched: ${messageOf(outcome.resultError)}` : null;
    return { row: { ...row, status: 'Processed', error }, inference: outcome.inference };
  } catch (error) {
    if (!(error instanceof MindeeError) || ctx.signal.aborted) throw error;
    return { row: { ...row, status: 'Processing', error: `Waiting failed: ${messageOf(error)}` }, inference: null };
  }
}

function messageOf(error: MindeeError): string {
  return error.hint ? `${error.message} ${error.hint}` : error.message;
}

function count(rows: Row[], status: RowStatus): number {
  return rows.filter((r) => r.status === status).length;
}

/** The product part of a result: what a row shows. */
function resultOf(inference: Inference, view: { detail?: 'values' | 'confidence' | 'full'; fields?: string[] }): Record<string, unknown> {
  let v;
  try {
    v = inferenceView(inference, view);
  } catch {
    // A field filter that matches nothing in this one document: show it unfiltered.
    v = inferenceView(inference, { detail: view.detail });
  }
  const out: Record<string, unknown> = {};
  for (const key of ['fields', 'classification', 'crops', 'splits', 'ocr'] as const) if (v[key] !== undefined) out[key] = v[key];
  return out;
}

/** The exact call that carries on: the jobs still running and the documents not yet sent. */
function resumeStep(rows: Row[], work: Work[], args: BatchArgs, waitSeconds: number): string | null {
  const jobIds = rows.filter((r) => r.status === 'Processing' && r.job_id).map((r) => r.job_id!);
  const notSent = rows.map((r, i) => ({ r, w: work[i]! })).filter(({ r }) => r.status === 'NotSent');
  const paths = notSent.flatMap(({ w }) => (w.document && 'path' in w.document ? [w.source] : []));
  const urls = notSent.flatMap(({ w }) => (w.document && 'url' in w.document ? [w.document.url] : []));
  if (jobIds.length + paths.length + urls.length === 0) return null;
  const { file_paths: _f, urls: _u, job_ids: _j, wait: _w, ...shared } = args;
  const call = {
    ...Object.fromEntries(Object.entries(shared).filter(([, v]) => v !== undefined)),
    ...(jobIds.length ? { job_ids: jobIds } : {}),
    ...(paths.length ? { file_paths: paths } : {}),
    ...(urls.length ? { urls } : {}),
    max_wait_seconds: waitSeconds,
  };
  return `Call enqueue_documents with ${JSON.stringify(call)} to carry on: ${jobIds.length} still processing, ${paths.length + urls.length} not sent yet. Nothing is lost meanwhile.`;
}

function renderBatch(counts: Record<string, number>, rows: Row[], next: string | null, leftOut: string | null): string {
  const parts = [`${counts.total} document(s): ${counts.processed} processed, ${counts.processing} processing, ${counts.failed} failed, ${counts.refused} refused, ${counts.not_sent} not sent.`];
  rows.forEach((r, i) => {
    const ids = r.job_id ? ` (job ${r.job_id}${r.inference_id ? `, inference ${r.inference_id}` : ''})` : '';
    parts.push(`${i + 1}. ${r.source} — ${r.status}${ids}`);
    if (r.error) parts.push(`   ${r.error}`);
    if (r.result) {
      const flat: { [key: string]: PlainValue } = {};
      for (const [k, v] of Object.entries(r.result)) {
        if (k === 'fields') Object.assign(flat, v as object);
        else flat[k] = v as PlainValue;
      }
      parts.push(...renderFields(flat, '   '));
    }
  });
  if (leftOut) parts.push(leftOut);
  if (next) parts.push(next);
  return parts.join('\n');
}
