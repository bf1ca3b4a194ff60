import { z } from 'zod';
import { MindeeError, MindeeInputError, MindeeJobFailedError } from '../client/errors.js';
import { prepareDocument, type DocumentSource } from '../client/inputs.js';
import type { Inference, Job } from '../client/schemas.js';
import { countRows, fitBatch, isFinished, rowResult } from '../results/batch.js';
import { jobSummary } from '../results/jobs.js';
import { batchCountsShape, batchRowShape, type BatchRow } from '../results/shapes.js';
import { defineTool, type ToolContext, type ToolDeps, type ToolSettings } from './define.js';
import { enqueueParams, modelArgs, optionArgs, waitArgs } from './enqueue-args.js';
import { errorText } from './hints.js';
import { resolveModelId } from './models.js';
import { RESULT_TOOL, viewArgs } from './view-args.js';
import { withHeartbeat } from './waiting.js';

/** One call may carry this many documents; more is a job for several calls. */
export const MAX_BATCH = 500;

const TOOL = 'enqueue_documents';

interface Work {
  source: string;
  document?: DocumentSource;
  jobId?: string;
  error?: MindeeError;
}

function inputSchema(settings: ToolSettings) {
  const view = viewArgs(settings);
  return {
    ...modelArgs,
    file_paths: z
      .array(z.string())
      .optional()
      .describe('Local files or folders inside the allowed directories; a folder means every document directly in it.'),
    urls: z.array(z.string()).optional().describe('Public https URLs of documents.'),
    job_ids: z.array(z.string()).optional().describe('Jobs of an earlier call to keep waiting for: the job ids alone are enough.'),
    ...optionArgs,
    ...waitArgs(settings),
    detail: view.detail,
    fields: view.fields,
    max_chars: view.max_chars,
  };
}
type BatchArgs = z.output<z.ZodObject<ReturnType<typeof inputSchema>>>;

export const enqueueDocuments = (settings: ToolSettings) =>
  defineTool({
    name: TOOL,
    title: 'Extract data from many documents with Mindee',
    description:
      'Send many documents at once — local files, whole folders (every document directly inside), or https URLs — ' +
      'to one Mindee model with shared options, and wait (bounded) for all of them, within Mindee\'s rate limits. ' +
      'Returns one row per document: job id, status, and its result or its error; a failure never hides the ' +
      'others. Documents still processing when the wait ends are resumed by calling again with the job_ids it gives.',
    inputSchema: inputSchema(settings),
    outputSchema: {
      counts: batchCountsShape,
      documents: z.array(batchRowShape).describe('One row per document, in the order given (folders in name order).'),
      next_step: z.string().nullable().describe('The call that resumes what is not finished, if anything.'),
      left_out: z.string().nullable().describe('Results left out to stay within the size budget, and how to read them.'),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    execution: { taskSupport: 'optional' },
    _meta: { 'anthropic/maxResultSizeChars': 100_000 },
    async run(args, deps, ctx) {
      const waitSeconds = args.max_wait_seconds ?? deps.settings.maxWaitSeconds;
      const started = Date.now();
      const deadline = started + waitSeconds * 1000;
      const work = await collectWork(args, deps);
      // The model matters only for what is sent now: a resumed job says its own.
      const modelId = work.some((w) => w.document) ? resolveModelId(args.model_id, deps.settings.models) : undefined;
      const checkModel = args.model_id !== undefined && args.model_id !== '' ? resolveModelId(args.model_id, deps.settings.models) : undefined;

      let done = 0;
      const beat = () => {
        // Finished documents, plus a growing share of the next one: never past the total, and
        // the total only once every document is finished.
        const time = done < work.length ? Math.min(0.99, (Date.now() - started) / 1000 / (waitSeconds + 1)) : 0;
        ctx.progress(done + time, work.length, `${done}/${work.length} documents finished… ${Math.round((Date.now() - started) / 1000)} s`);
      };
      const outcomes = await withHeartbeat(deps.settings.heartbeatMs, beat, () =>
        Promise.all(
          work.map(async (w) => {
            const out = await processOne(w, args, { modelId, checkModel }, deadline, deps, ctx);
            if (isFinished(out.row.status)) {
              done++;
              beat();
            }
            return out;
          }),
        ),
      );

      const rows = outcomes.map(({ row, inference }) => ({ ...row, result: inference ? rowResult(inference, { detail: args.detail, fields: args.fields }) : null }));
      const counts = countRows(rows);
      const next = resumeStep(rows, work, args, waitSeconds);
      const fitted = fitBatch(counts, rows, next, args.max_chars ?? deps.settings.maxResultChars, RESULT_TOOL);
      return { text: fitted.text, structured: { counts, documents: fitted.documents, next_step: next, left_out: fitted.left_out } };
    },
  });

/** The documents of a call, in order: files (folders expanded), URLs, then jobs to resume. */
async function collectWork(args: BatchArgs, deps: ToolDeps): Promise<Work[]> {
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
  return work;
}

async function processOne(
  w: Work,
  args: BatchArgs,
  models: { modelId: string | undefined; checkModel: string | undefined },
  deadline: number,
  deps: ToolDeps,
  ctx: ToolContext,
): Promise<{ row: BatchRow; inference: Inference | null }> {
  const row: BatchRow = { source: w.source, status: 'Refused', job_id: null, inference_id: null, result: null, error: null };
  if (w.error) return { row: { ...row, error: errorText(w.error) }, inference: null };
  let job: Job;
  try {
    if (w.jobId) {
      job = await deps.client.getJob(w.jobId, { signal: ctx.signal, deadline });
    } else {
      const document = await prepareDocument(w.document!);
      try {
        job = await deps.client.enqueue(document, enqueueParams(args, models.modelId!), { signal: ctx.signal, deadline });
      } finally {
        await document.close();
      }
    }
  } catch (error) {
    if (!(error instanceof MindeeError) || ctx.signal.aborted) throw error;
    // Out of time before the request could go: nothing was sent, it can simply be sent later.
    if (error.code === 'not_sent' && !w.jobId) {
      return { row: { ...row, status: 'NotSent', error: 'No time was left in this call to send it.' }, inference: null };
    }
    return { row: { ...row, job_id: w.jobId ?? null, status: w.jobId ? 'Processing' : 'Refused', error: errorText(error, deps.settings) }, inference: null };
  }
  row.job_id = job.id;
  if (w.jobId && models.checkModel && job.model_id && job.model_id.toLowerCase() !== models.checkModel.toLowerCase()) {
    row.error = `This job belongs to model ${job.model_id}, not to the model_id given (${models.checkModel}); it was followed as it is.`;
  }
  if (!args.wait) return { row: { ...row, status: 'Processing' }, inference: null };
  try {
    const outcome = await deps.client.waitForResult(job, { signal: ctx.signal, deadline });
    const summary = jobSummary(outcome.job);
    row.inference_id = summary.inference_id;
    if (outcome.state === 'failed') return { row: { ...row, status: 'Failed', error: errorText(new MindeeJobFailedError(job.id, summary.error)) }, inference: null };
    if (outcome.state === 'processing') return { row: { ...row, status: 'Processing' }, inference: null };
    const error = outcome.resultError ? `Processed, but the result could not be fetched: ${errorText(outcome.resultError)}` : row.error;
    return { row: { ...row, status: 'Processed', error }, inference: outcome.inference };
  } catch (error) {
    if (!(error instanceof MindeeError) || ctx.signal.aborted) throw error;
    return { row: { ...row, status: 'Processing', error: `Waiting failed: ${errorText(error)}` }, inference: null };
  }
}

/** The exact call that carries on: the jobs still running and the documents not yet sent. */
function resumeStep(rows: BatchRow[], work: Work[], args: BatchArgs, waitSeconds: number): string | null {
  const jobIds = rows.filter((r) => r.status === 'Processing' && r.job_id).map((r) => r.job_id!);
  const notSent = rows.map((r, i) => ({ r, w: work[i]! })).filter(({ r }) => r.status === 'NotSent');
  const paths = notSent.flatMap(({ w }) => (w.document && 'path' in w.document ? [w.source] : []));
  const urls = notSent.flatMap(({ w }) => (w.document && 'url' in w.document ? [w.document.url] : []));
  if (jobIds.length + paths.length + urls.length === 0) return null;
  const { file_paths: _f, urls: _u, job_ids: _j, wait: _w, max_wait_seconds: _m, detail, fields, max_chars, ...sending } = args;
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const call = {
    // Options of the enqueue matter only to what is still to be sent.
    ...(paths.length + urls.length > 0 ? defined(sending) : {}),
    ...defined({ detail, fields, max_chars }),
    ...(jobIds.length ? { job_ids: jobIds } : {}),
    ...(paths.length ? { file_paths: paths } : {}),
    ...(urls.length ? { urls } : {}),
    max_wait_seconds: waitSeconds,
  };
  return `Call ${TOOL} with ${JSON.stringify(call)} to carry on: ${jobIds.length} still processing, ${paths.length + urls.length} not sent yet. Nothing is lost meanwhile.`;
}
