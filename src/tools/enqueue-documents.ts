import { z } from 'zod';
import { MindeeError, MindeeInputError, MindeeJobFailedError } from '../client/errors.js';
import { prepareDocument } from '../client/inputs.js';
import { originOf } from '../review/document.js';
import type { Inference, Job } from '../client/schemas.js';
import { countRows, fitBatch, isFinished, rowResult } from '../results/batch.js';
import { jobSummary } from '../results/jobs.js';
import { batchCountsShape, batchRowShape, type BatchRow } from '../results/shapes.js';
import { defineTool, type DocumentToSend, type ToolContext, type ToolDeps, type ToolSettings } from './define.js';
import { enqueueTraits, enqueueParams, modelArgs, optionArgs, uploadIdsArg, waitArgs } from './enqueue-args.js';
import { errorText } from './hints.js';
import { notUploaded, refuseLocalFiles, uploadSource } from './remote-sources.js';
import { resolveModelId } from './models.js';
import { reviewArgs, reviewedResult, withVerifyDefaults } from './review.js';
import { RESULT_TOOL, tableNote, viewArgs } from './result-view.js';
import { batchTable, exportFormatOf, renderTable } from '../results/export.js';
import { isRecord } from '../results/fields.js';
import { withHeartbeat } from './waiting.js';
import { FolderTooLargeError } from '../files/messages.js';
import { clip, quote } from '../lib/text.js';

/** One call may carry this many documents; more is a job for several calls. */
export const MAX_BATCH = 500;

const TOOL = 'enqueue_documents';

interface Work {
  source: string;
  document?: DocumentToSend;
  jobId?: string;
  error?: MindeeError;
}

function inputSchema(settings: ToolSettings) {
  const view = viewArgs(settings);
  return {
    ...modelArgs(settings),
    file_paths: z.array(z.string()).optional().describe('Files or folders'),
    urls: z.array(z.string()).optional().describe('Public https'),
    ...uploadIdsArg(settings),
    job_ids: z.array(z.string()).optional().describe('To resume'),
    ...optionArgs,
    ...waitArgs(settings),
    detail: view.detail,
    fields: view.fields,
    max_chars: view.max_chars,
    // The threshold is the configured one: a batch's rows are read again with get_inference_result to change it.
    checks: reviewArgs(settings).checks,
    save_to: z.string().optional().describe('csv or jsonl'),
  };
}
type BatchArgs = z.output<z.ZodObject<ReturnType<typeof inputSchema>>>;

export const enqueueDocuments = (settings: ToolSettings) =>
  defineTool({
    name: TOOL,
    title: 'Extract data from many documents with Mindee',
    description:
      'Send many documents to one Mindee model and wait for all, within rate limits. ' +
      'A row per document: status, result or error; next_step resumes the rest.',
    inputSchema: inputSchema(settings),
    outputSchema: {
      counts: batchCountsShape,
      documents: z.array(batchRowShape),
      next_step: z.string().nullable(),
      left_out: z.string().nullable().describe('Results cut by the size budget'),
      saved_to: z.string().optional(),
    },
    ...enqueueTraits,
    async run(args, deps, ctx) {
      const waitSeconds = args.max_wait_seconds ?? deps.settings.maxWaitSeconds;
      const clock = deps.client.connection.clock;
      const started = clock.now();
      const deadline = started + waitSeconds * 1000;
      // A wrong target is said before any document is sent.
      if (args.save_to !== undefined) checkBatchTarget(args.save_to, deps);
      const work = await collectWork(args, deps);
      // The model matters only for what is sent now: a resumed job says its own.
      const modelId = work.some((w) => w.document) ? resolveModelId(args.model_id, deps.settings.models) : undefined;
      const checkModel = args.model_id !== undefined && args.model_id !== '' ? resolveModelId(args.model_id, deps.settings.models) : undefined;

      let done = 0;
      const beat = () => {
        // Finished documents, plus a growing share of the next one: never past the total, and
        // the total only once every document is finished.
        const time = done < work.length ? Math.min(0.99, (clock.now() - started) / 1000 / (waitSeconds + 1)) : 0;
        ctx.progress(done + time, work.length, `${done}/${work.length} documents finished… ${Math.round((clock.now() - started) / 1000)} s`);
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

      const rows = await Promise.all(
        outcomes.map(async (outcome) => {
          if (!outcome.inference) return { ...outcome.row, result: null };
          // A result a person reviewed (a resumed batch): its rows and table carry the reviewed values.
          const reviewed = await reviewedResult(outcome.inference, args, deps);
          outcome.inference = reviewed.inference;
          return { ...outcome.row, result: rowResult(reviewed.inference, { detail: args.detail, fields: args.fields }, reviewed.review) };
        }),
      );
      const counts = countRows(rows);
      const fitted = fitBatch(counts, rows, args.max_chars ?? deps.settings.maxResultChars, {
        readTool: RESULT_TOOL,
        resume: (maxChars) => resumeStep(rows, work, args, waitSeconds, maxChars),
      });
      const structured = { counts, documents: fitted.documents, next_step: fitted.next, left_out: fitted.left_out };
      if (args.save_to === undefined) return { text: fitted.text, structured };
      const saved = await saveBatch(outcomes, rows, args, deps);
      return { text: `${fitted.text}\n${saved.note}`, structured: saved.path === null ? structured : { ...structured, saved_to: saved.path } };
    },
  });

function checkBatchTarget(target: string, deps: ToolDeps): void {
  refuseLocalFiles(deps, 'save_to');
  if (exportFormatOf(target) !== 'json') return;
  throw new MindeeInputError(`save_to ${quote(target, 200)} must end in .csv or .jsonl: ${TOOL} writes one row per document.`, {
    hint: `Name a .csv or .jsonl file, or save each full result with ${RESULT_TOOL} (save_to ending in .json).`,
  });
}

/**
 * Every document's row (values at detail "values", all rows, whatever the answer's budget left
 * out) to a new file. The documents are processed by now: a file that cannot be written is said
 * in the answer, not thrown, so their rows are not lost.
 */
async function saveBatch(outcomes: { inference: Inference | null }[], rows: BatchRow[], args: BatchArgs, deps: ToolDeps): Promise<{ path: string | null; note: string }> {
  const target = args.save_to!;
  try {
    const table = batchTable(
      rows.map((row, i) => {
        const inference = outcomes[i]?.inference;
        // Values at detail "values" whatever the answer's detail; the verdict the answer's row has.
        const review = row.result && isRecord(row.result.review) ? row.result.review : undefined;
        const reviewed = row.result?.reviewed === true ? { reviewed: true } : {};
        return { ...row, result: inference ? { ...rowResult(inference, { detail: 'values', fields: args.fields }), ...(review ? { review } : {}), ...reviewed } : null };
      }),
    );
    const path = await deps.files.writeNewFile(target, deps.client.redact(renderTable(table, exportFormatOf(target) === 'csv' ? 'csv' : 'jsonl')));
    return { path, note: tableNote(table, path) };
  } catch (error) {
    if (!(error instanceof MindeeError)) throw error;
    return { path: null, note: `Nothing was saved: ${errorText(error, deps.settings)}` };
  }
}

/** The documents of a call, in order: files (folders expanded), URLs, then jobs to resume. */
async function collectWork(args: BatchArgs, deps: ToolDeps): Promise<Work[]> {
  const work: Work[] = [];
  if (args.file_paths?.length) refuseLocalFiles(deps, 'file_paths');
  const uploadCount = Array.isArray(args.upload_ids) ? args.upload_ids.length : 0;
  const others = (args.urls?.length ?? 0) + (args.job_ids?.length ?? 0) + uploadCount;
  for (const input of args.file_paths ?? []) {
    try {
      // A folder is read only as far as the call has room: a folder of 60 000 files is not listed whole.
      for (const entry of await deps.files.expand(input, Math.max(0, MAX_BATCH - others - work.length))) {
        if ('error' in entry) work.push({ source: entry.displayPath, error: entry.error });
        else work.push({ source: entry.displayPath, document: notUploaded({ path: entry.path, identity: entry.identity }) });
      }
    } catch (error) {
      if (error instanceof FolderTooLargeError) {
        throw new MindeeInputError(`More documents than one call takes (${MAX_BATCH}): ${error.message}${error.max < MAX_BATCH ? ' (the room left beside the other documents of the call)' : ''}`, {
          hint: `Split them into calls of at most ${MAX_BATCH} (for example one folder of fewer documents at a time).`,
        });
      }
      if (!(error instanceof MindeeError)) throw error;
      work.push({ source: input, error });
    }
  }
  for (const url of args.urls ?? []) work.push({ source: url, document: notUploaded({ url }) });
  for (const jobId of args.job_ids ?? []) work.push({ source: jobId, jobId });
  // upload_ids is in the schema of remote servers only.
  const uploadIds = Array.isArray(args.upload_ids) ? args.upload_ids.filter((id): id is string => typeof id === 'string') : [];
  if (work.length === 0 && uploadIds.length === 0) {
    throw new MindeeInputError('No documents were given.', { hint: 'Pass file_paths (files or folders), urls, or the job_ids of an earlier call.' });
  }
  if (work.length + uploadIds.length > MAX_BATCH) {
    throw new MindeeInputError(`${work.length + uploadIds.length} documents is more than one call takes (${MAX_BATCH}).`, {
      hint: `Split them into calls of at most ${MAX_BATCH} (for example one folder at a time).`,
    });
  }
  // Claimed last, once the call is known to go ahead: a claim uses the upload up.
  for (const uploadId of uploadIds) {
    try {
      work.push({ source: uploadId, document: await uploadSource(uploadId, undefined, deps) });
    } catch (error) {
      if (!(error instanceof MindeeError)) throw error;
      work.push({ source: uploadId, error });
    }
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
  const row: BatchRow = { source: clip(w.source, 300), status: 'Refused', job_id: null, inference_id: null, result: null, error: null };
  if (w.error) return { row: { ...row, error: errorText(w.error, deps.settings) }, inference: null };
  let job: Job;
  try {
    if (w.jobId !== undefined) {
      job = await deps.client.getJob(w.jobId, { signal: ctx.signal, deadline });
    } else {
      let sent = false;
      try {
        const document = await prepareDocument(w.document!.source);
        try {
          job = await deps.client.enqueue(document, withVerifyDefaults(enqueueParams(args, models.modelId!), deps), { signal: ctx.signal, deadline, origin: originOf(w.document!.source, document) });
          sent = true;
        } finally {
          await document.close();
        }
      } finally {
        await w.document!.settle(sent);
      }
    }
  } catch (error) {
    if (!(error instanceof MindeeError) || ctx.signal.aborted) throw error;
    // Out of time before the request could go: nothing was sent, it can simply be sent later.
    if (error.code === 'not_sent' && w.jobId === undefined) {
      return { row: { ...row, status: 'NotSent', error: 'No time was left in this call to send it.' }, inference: null };
    }
    // A job that could not be read is still running, unless its id was not a job id at all.
    const resumable = w.jobId !== undefined && error.code !== 'invalid_id';
    return { row: { ...row, job_id: resumable ? w.jobId! : null, status: resumable ? 'Processing' : 'Refused', error: errorText(error, deps.settings) }, inference: null };
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
    if (outcome.state === 'failed') return { row: { ...row, status: 'Failed', error: errorText(new MindeeJobFailedError(job.id, summary.error), deps.settings) }, inference: null };
    if (outcome.state === 'processing') return { row: { ...row, status: 'Processing' }, inference: null };
    const error = outcome.resultError ? `Processed, but the result could not be fetched: ${errorText(outcome.resultError, deps.settings)}` : row.error;
    return { row: { ...row, status: 'Processed', error }, inference: outcome.inference };
  } catch (error) {
    if (!(error instanceof MindeeError) || ctx.signal.aborted) throw error;
    return { row: { ...row, status: 'Processing', error: `Waiting failed: ${errorText(error, deps.settings)}` }, inference: null };
  }
}

/**
 * The exact call that carries on: the jobs still running and the documents not yet sent, as
 * many as fit in `maxChars`; the rest are counted, and named in their rows.
 */
function resumeStep(rows: BatchRow[], work: Work[], args: BatchArgs, waitSeconds: number, maxChars: number): string | null {
  const jobIds = rows.filter((r) => r.status === 'Processing' && r.job_id).map((r) => r.job_id!);
  const notSent = rows.map((r, i) => ({ r, w: work[i]! })).filter(({ r }) => r.status === 'NotSent');
  // An upload is used once: never in a call that resumes.
  const paths = notSent.flatMap(({ w }) => (w.document && 'path' in w.document.source && w.document.source.upload === undefined ? [w.source] : []));
  const urls = notSent.flatMap(({ w }) => (w.document && 'url' in w.document.source ? [w.document.source.url] : []));
  const total = jobIds.length + paths.length + urls.length;
  if (total === 0) return null;
  const { file_paths: _f, urls: _u, upload_ids: _up, job_ids: _j, wait: _w, max_wait_seconds: _m, save_to: _s, detail, fields, max_chars, checks, ...sending } = args;
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const phrase = (n: number) => {
    // The first n items, jobs first: they are what the caller waits for.
    const ids = jobIds.slice(0, n);
    const p = paths.slice(0, Math.max(0, n - ids.length));
    const u = urls.slice(0, Math.max(0, n - ids.length - p.length));
    const call = {
      // Options of the enqueue matter only to what is still to be sent.
      ...(p.length + u.length > 0 ? defined(sending) : {}),
      ...defined({ detail, fields, max_chars, checks }),
      ...(ids.length ? { job_ids: ids } : {}),
      ...(p.length ? { file_paths: p } : {}),
      ...(u.length ? { urls: u } : {}),
      max_wait_seconds: waitSeconds,
    };
    const rest = total - n;
    const more = rest > 0 ? ` ${rest} more are not in this call: once it is done, call again with them (job_ids and sources are in their rows).` : '';
    return `Call ${TOOL} with ${JSON.stringify(call)} to carry on: ${jobIds.length} still processing, ${paths.length + urls.length} not sent yet. Nothing is lost meanwhile.${more}`;
  };
  let n = total;
  let text = phrase(n);
  while (text.length > maxChars && n > 1) {
    n = Math.max(1, Math.floor(n * 0.7));
    text = phrase(n);
  }
  return text;
}
