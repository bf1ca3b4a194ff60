import { z } from 'zod';
import { MAX_WAIT_SECONDS } from '../config.js';
import { jobSummary, renderJob } from '../results/jobs.js';
import { jobShape } from '../results/shapes.js';
import { defineTool, type ToolSettings } from './define.js';
import { continueWaitingStep, fetchResultStep, waitWithProgress } from './waiting.js';

export const getJobStatus = (settings: ToolSettings) =>
  defineTool({
    name: 'get_job_status',
    title: 'Check (or wait for) a Mindee job',
    description:
      "A job's status: Processing, Processed or Failed (with its error); it can wait for the end. Processed: " +
      'call get_inference_result with its inference_id.',
    inputSchema: {
      job_id: z.string().min(1).describe('From an enqueue tool'),
      wait_seconds: z
        .number()
        .min(0)
        .max(MAX_WAIT_SECONDS)
        .default(0)
        .describe(`Seconds (${settings.maxWaitSeconds} is good)`),
    },
    outputSchema: {
      job: jobShape,
      next_step: z.string().nullable(),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    async run(args, deps, ctx) {
      const started = deps.client.connection.clock.now();
      // Even "at once" is bounded: a slow API costs at most the default wait.
      const deadline = started + (args.wait_seconds > 0 ? args.wait_seconds : deps.settings.maxWaitSeconds) * 1000;
      let job = await deps.client.getJob(args.job_id, { signal: ctx.signal, deadline });
      if (args.wait_seconds > 0 && job.status === 'Processing') {
        job = (await waitWithProgress(job, deadline, deps, ctx, { fetchResult: false })).job;
      }
      const summary = jobSummary(job, deps.client.productOfJob(job.id), deps.settings.maxResultChars);
      let next: string | null = null;
      if (summary.status === 'Processed') next = fetchResultStep(summary.inference_id, summary.job_id, summary.product);
      else if (summary.status === 'Processing') next = continueWaitingStep(summary.job_id, Math.max(args.wait_seconds, deps.settings.maxWaitSeconds));
      else if (summary.status === 'Failed') next = 'The job failed (see error): fix what it names, then call enqueue_document again.';
      return { text: next ? `${renderJob(summary)}\n${next}` : renderJob(summary), structured: { job: summary, next_step: next } };
    },
  });
