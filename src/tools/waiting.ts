/**
 * Bounded waits shared by the tools that block: progress heartbeats while work runs (hosts such
 * as Claude Code reset their time-out on each), one job's wait, and what to say when it ends.
 */
import type { WaitOutcome } from '../client/waiter.js';
import type { Job } from '../client/schemas.js';
import type { ToolContext, ToolDeps } from './define.js';

/** Runs `work`, calling `beat` at once and then every heartbeatMs until it ends. */
export async function withHeartbeat<T>(heartbeatMs: number, beat: () => void, work: () => Promise<T>): Promise<T> {
  beat();
  const heartbeat = setInterval(beat, heartbeatMs);
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
  }
}

/** Waits for one job until `deadline`, reporting its status and the time waited as progress. */
export async function waitWithProgress(
  job: Job,
  deadline: number,
  deps: ToolDeps,
  ctx: ToolContext,
  options: { fetchResult: boolean; startedAt?: number },
): Promise<WaitOutcome> {
  // The process's clock (the connection's, injected at start), as the waiter's deadline is read by.
  const clock = deps.client.connection.clock;
  const started = clock.now();
  const total = Math.max(1, Math.round((deadline - started) / 1000));
  let status = job.status;
  const beat = () => {
    const elapsed = (clock.now() - started) / 1000;
    ctx.progress(Math.round(elapsed * 10) / 10, total, `${status}… ${Math.round(elapsed)} s (job ${job.id})`);
  };
  return withHeartbeat(deps.settings.heartbeatMs, beat, () =>
    deps.client.waitForResult(job, {
      signal: ctx.signal,
      deadline,
      startedAt: options.startedAt,
      fetchResult: options.fetchResult,
      onProgress: (p) => {
        status = p.status;
      },
    }),
  );
}

export function continueWaitingStep(jobId: string, waitSeconds: number, purpose = 'keep waiting'): string {
  return `Call get_job_status with {"job_id": "${jobId}", "wait_seconds": ${waitSeconds}} to ${purpose}; the job keeps running on Mindee's side and nothing is lost.`;
}

export function fetchResultStep(inferenceId: string | null, jobId: string, product: string | null = null): string {
  const args = product && product !== 'extraction' ? { inference_id: inferenceId, product } : { inference_id: inferenceId };
  return inferenceId
    ? `Call get_inference_result with ${JSON.stringify(args)} to read the result.`
    : `Job ${jobId} is processed, but Mindee gave no result id for it; call get_job_status with {"job_id": "${jobId}"} again.`;
}
