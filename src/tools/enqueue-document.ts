import { z } from 'zod';
import { MindeeJobFailedError } from '../client/errors.js';
import { prepareDocument } from '../client/inputs.js';
import { originOf } from '../review/document.js';
import { jobSummary, renderJob } from '../results/jobs.js';
import { inferenceShape, jobShape } from '../results/shapes.js';
import { defineTool, type ToolSettings } from './define.js';
import { enqueueTraits, documentSource, enqueueParams, modelArgs, optionArgs, uploadIdArg, waitArgs } from './enqueue-args.js';
import { resultLink } from './get-inference-result.js';
import { resolveModelId } from './models.js';
import { refuseLocalFiles } from './remote-sources.js';
import { reviewArgs, reviewFor, withVerifyDefaults } from './review.js';
import { presentInference, saveArg, saveInference, viewArgs } from './result-view.js';
import { continueWaitingStep, fetchResultStep, waitWithProgress } from './waiting.js';

export const enqueueDocument = (settings: ToolSettings) =>
  defineTool({
    name: 'enqueue_document',
    title: 'Extract data from a document with Mindee',
    description:
      'Send one document to a Mindee model and wait for its result (fields, class, crops, splits or text). ' +
      `Give one of file_path, url, file_base64${settings.remote ? ', upload_id' : ''}. Unfinished after the wait? Call get_job_status with its job_id.`,
    inputSchema: {
      ...modelArgs(settings),
      file_path: z.string().optional().describe('In an allowed directory'),
      url: z.string().optional().describe('Public https'),
      file_base64: z.string().optional().describe('Small files only'),
      filename: z.string().optional().describe('Name for Mindee'),
      ...uploadIdArg(settings),
      alias: z.string().optional().describe('Echoed back'),
      ...optionArgs,
      ...waitArgs(settings),
      ...viewArgs(settings),
      ...reviewArgs(settings),
      ...saveArg,
    },
    outputSchema: {
      job: jobShape,
      result: inferenceShape.nullable(),
      next_step: z.string().nullable(),
    },
    ...enqueueTraits,
    async run(args, deps, ctx) {
      const waitSeconds = args.max_wait_seconds ?? deps.settings.maxWaitSeconds;
      const enqueuedAt = deps.client.connection.clock.now();
      // The whole call — checks, upload and wait — stays within the wait the caller gave.
      const deadline = enqueuedAt + waitSeconds * 1000;
      const modelId = resolveModelId(args.model_id, deps.settings.models);
      if (args.save_to !== undefined) refuseLocalFiles(deps, 'save_to');
      const { source, settle } = await documentSource(args, deps);
      let job;
      try {
        const document = await prepareDocument(source);
        try {
          job = await deps.client.enqueue(document, withVerifyDefaults(enqueueParams(args, modelId, args.alias), deps), { signal: ctx.signal, deadline, origin: originOf(source, document) });
        } finally {
          await document.close();
        }
      } finally {
        await settle(job !== undefined);
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
      const review = await reviewFor(outcome.inference, args, deps);
      const saved = args.save_to === undefined ? undefined : await saveInference(outcome.inference, args.save_to, deps, { fields: args.fields, review: review?.review });
      const { view, text } = presentInference(outcome.inference, args, deps, saved, review);
      return {
        text,
        structured: { job: summary, result: view, next_step: null },
        links: [resultLink(view.inference_id, view.resource_uri)],
      };
    },
  });
