/** Mindee jobs → the tools' structured job answers and their compact text. */
import { formatProblem } from '../client/errors.js';
import { inferenceIdFromResultUrl, productFromResultUrl } from '../client/mindee-client.js';
import type { Job, Problem, Product } from '../client/schemas.js';
import type { JobShape, ProblemShape } from './shapes.js';

export function problemSummary(problem: Problem): ProblemShape {
  return {
    status: problem.status ?? null,
    code: problem.code,
    title: problem.title,
    detail: problem.detail,
    errors: problem.errors.map((e) => ({ pointer: e.pointer, detail: e.detail })),
  };
}

export function jobSummary(job: Job, product: Product | null = null): JobShape {
  return {
    job_id: job.id,
    status: job.status,
    model_id: job.model_id,
    product: (job.status === 'Processed' ? productFromResultUrl(job.result_url) : null) ?? product,
    filename: job.filename,
    alias: job.alias,
    created_at: job.created_at,
    completed_at: job.completed_at,
    inference_id: job.status === 'Processed' ? inferenceIdFromResultUrl(job.result_url) : null,
    error: job.error ? problemSummary(job.error) : null,
  };
}

// ---- text ----------------------------------------------------------------------------------

export function renderJob(job: JobShape): string {
  const lines = [`Job ${job.job_id}: ${job.status}`];
  const file = job.alias ? `${job.filename ?? 'document'} (alias ${job.alias})` : job.filename;
  if (file) lines.push(`file: ${file}`);
  if (job.model_id) lines.push(`model_id: ${job.model_id}`);
  if (job.created_at) lines.push(`created_at: ${job.created_at}`);
  if (job.completed_at) lines.push(`completed_at: ${job.completed_at}`);
  if (job.inference_id) lines.push(`inference_id: ${job.inference_id}`);
  if (job.error) lines.push(`error: ${renderProblem(job.error)}`);
  return lines.join('\n');
}

export function renderProblem(problem: ProblemShape): string {
  return formatProblem(problem) || 'unknown error';
}
