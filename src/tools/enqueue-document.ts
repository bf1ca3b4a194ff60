import { z } from 'zod';
import { MindeeJobFailedError } from '../client/errors.js';
import { prepareDocument } from '../client/inputs.js';
import { jobSummary, renderJob } from '../results/jobs.js';
import { inferenceShape, jobShape } from '../results/shapes.js';
import { defineTool, type ToolSettings } from './define.js';
import { documentSource, enqueueParams, modelArgs, optionArgs, waitArgs } from './enqueue-args.js';
import { resultLink } from './get-inference-result.js';
import { resolveModelId } from './models.js';
import { presentInference, saveArg, saveInference, viewArgs } from './view-args.js';
import { continueWaitingStep, fetchResultStep, waitWithProgress } from './waiting.js';

export const enqueueDocument = (settings: ToolSettings) =>
  defineTool({
    name: 'enqueue_document',
    title: 'Extract data from a document with Mindee',
    description:
      'Send one document (PDF, JPEG, PNG, WebP, TIFF, HEIC) to a Mindee model and, by default, wait for ' +
      'the result: extracted fields (extraction), document type (classification), objects (crop), sub-documents ' +
      '(split) or page text (ocr). Give exactly one of file_path (a file on the machine running this server), url ' +
      '(public https) or file_base64 (small files only). With wait=true (default) it blocks up to ' +
      'max_wait_seconds; if the job is still processing then, it returns the job_id and the get_job_status call ' +
      'that continues the wait. With wait=false it returns the job at once. No model id? Call search_models.',
    inputSchema: {
      ...modelArgs,
      file_path: z
        .string()
        .optional()
        .describe('Path or file:// URI of a local document, inside the directories this server is allowed to read.'),
      url: z.string().optional().describe('Public https URL of the document; Mindee downloads it itself (no redirects).'),
      file_base64: z
        .string()
        .optional()
        .describe('The document as base64 (or a data: URL). Only for small files: prefer file_path or url.'),
      filename: z.string().optional().describe('File name to report to Mindee (default: the file name, or document.<type> for base64).'),
      alias: z.string().optional().describe('Your own label for the document; Mindee echoes it back.'),
      ...optionArgs,
      ...waitArgs(settings),
      ...viewArgs(settings),
      ...saveArg,
    },
    outputSchema: {
      job: jobShape,
      result: inferenceShape.nullable().describe('The extracted result, when the job finished within the wait.'),
      next_step: z.string().nullable().describe('What to call next, if anything.'),
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    execution: { taskSupport: 'optional' },
    _meta: { 'anthropic/maxResultSizeChars': 100_000 },
    async run(args, deps, ctx) {
      const waitSeconds = args.max_wait_seconds ?? deps.settings.maxWaitSeconds;
      const enqueuedAt = Date.now();
      // The whole call — checks, upload and wait — stays within the wait the caller gave.
      const deadline = enqueuedAt + waitSeconds * 1000;
      const modelId = resolveModelId(args.model_id, deps.settings.models);
      const document = await prepareDocument(await documentSource(args, deps));
      let job;
      try {
        job = await deps.client.enqueue(document, enqueueParams(args, modelId, args.alias), { signal: ctx.signal, deadline });
      } finally {
        await document.close();
      }
      if (!args.wait) {
        const summary = jobSummary(job, args.product, args.max_chars ?? deps.settings.maxResultChars);
        const next = continueWaitingStep(summary.job_id, waitSeconds, 'wait for the result');
        return { text: `${renderJob(summary)}\n${next}`, structured: { job: summary, result: null, next_step: next } };
      }

      const outcome = await waitWithProgress(job, deadline, deps, ctx, { fetchResult: true, startedAt: enqueuedAt });
      const summary = jobSummary(outcome.job, args.product, args.max_chars ?? deps.settings.maxResultChars);
      if (outcome.state === 'failed') throw new MindeeJobFailedError(summary.job_id, summary.error);
      const unsaved = args.save_to === undefined ? '' : ' save_to was not applied yet: pass it to get_inference_result once the job is processed.';
      if (outcome.state === 'processing') {
        const next = continueWaitingStep(summary.job_id, waitSeconds) + unsaved;
        return {
          text: `${renderJob(summary)}\nStill processing after ${waitSeconds} s.\n${next}`,
          structured: { job: summary, result: null, next_step: next },
        };
      }
      if (!outcome.inference) {
        const next = fetchResultStep(summary.inference_id, summary.job_id, summary.product) + unsaved;
        const why = outcome.resultError ? `The result could not be fetched: ${outcome.resultError.message}` : '';
        return { text: [renderJob(summary), why, next].filter(Boolean).join('\n'), structured: { job: summary, result: null, next_step: next } };
      }
      const saved = args.save_to === undefined ? undefined : await saveInference(outcome.inference, args.save_to, deps);
      const { view, text } = presentInference(outcome.inference, args, deps, saved);
      return {
        text,
        structured: { job: summary, result: view, next_step: null },
        links: [resultLink(view.inference_id, view.resource_uri)],
      };
    },
  });
