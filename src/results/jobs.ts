/** Mindee jobs → the tools' structured job answers and their compact text. */
import { formatProblem } from '../client/errors.js';
import { inferenceIdFromResultUrl, productFromResultUrl } from '../client/mindee-client.js';
import type { Job, Problem, Product } from '../client/schemas.js';
import { clip } from '../lib/text.js';
import { DEFAULT_MAX_CHARS } from './budget.js';
import type { JobShape, ProblemShape } from './shapes.js';

/** Problem items shown of a failed job: the rest are counted. */
const MAX_PROBLEM_ITEMS = 5;

/**
 * The longest text quoted from the API in a job answer of `maxChars`: about twenty strings make
 * a job, shown twice (text and structured), so each gets a share that keeps the answer in budget.
 */
function quotedChars(maxChars: number): number {
  return Math.max(40, Math.floor(maxChars / 40));
}

function problemSummary(problem: Problem, maxChars = DEFAULT_MAX_CHARS): ProblemShape {
  const max = quotedChars(maxChars);
  const q = (s: string | null) => (s === null ? null : clip(s, max));
  const errors = problem.errors.slice(0, MAX_PROBLEM_ITEMS).map((e) => ({ pointer: q(e.pointer), detail: clip(e.detail, max) }));
  if (problem.errors.length > MAX_PROBLEM_ITEMS) errors.push({ pointer: null, detail: `… and ${problem.errors.length - MAX_PROBLEM_ITEMS} more` });
  return { status: problem.status ?? null, code: q(problem.code), title: q(problem.title), detail: q(problem.detail), errors };
}

/** A job as the tools answer it; every text from the API is quoted within the answer's budget. */
export function jobSummary(job: Job, product: Product | null = null, maxChars = DEFAULT_MAX_CHARS): JobShape {
  const max = quotedChars(maxChars);
  const q = (s: string | null) => (s === null ? null : clip(s, max));
  return {
    job_id: clip(job.id, max),
    status: clip(job.status, 40),
    model_id: q(job.model_id),
    product: (job.status === 'Processed' ? productFromResultUrl(job.result_url) : null) ?? product,
    filename: q(job.filename),
    alias: q(job.alias),
    created_at: q(job.created_at),
    completed_at: q(job.completed_at),
    inference_id: job.status === 'Processed' ? inferenceIdFromResultUrl(job.result_url) : null,
    error: job.error ? problemSummary(job.error, maxChars) : null,
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

function renderProblem(problem: ProblemShape): string {
  return formatProblem(problem) || 'unknown error';
}
