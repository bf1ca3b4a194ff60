/**
 * A completion pushed by one of Mindee's webhooks (its signature already checked by the
 * receiver). The success payload is the result itself (what GET result_url returns): it is
 * kept in the partition of the key that enqueued the job, and the completion is published so
 * that every wait for the job ends at once, with no poll and no result GET. The failure payload
 * names the inference and the file, not the job: the waits for jobs of this process that match
 * it are woken to check their job once. A duplicate or late delivery changes nothing.
 */
import { z } from 'zod';
import type { JobEvent } from '../state/job-events.js';
import { keepInference, type Connection } from './connection.js';
import { isValidId, resultPath } from './routes.js';
import { inferenceResponseSchema, problemSchema } from './schemas.js';

/** What Mindee posts when a job fails. */
const failurePayloadSchema = z.looseObject({
  inference_id: z.string().nullish(),
  model_id: z.string(),
  file_name: z.string().nullish(),
  file_alias: z.string().nullish(),
  error: problemSchema.nullish(),
  created_at: z.string().nullish(),
});

export type PushOutcome =
  /** A result of a job this process enqueued: kept, and its waits ended. */
  | 'stored'
  /** A result of a job this process does not know: its waits, if any, check the job once. */
  | 'unknown_job'
  /** A failure: the waits of the jobs it may be about check them once. */
  | 'failure'
  | 'duplicate'
  /** Neither payload: nothing done. */
  | 'bad_payload';

export async function acceptPushed(connection: Connection, body: unknown): Promise<PushOutcome> {
  const success = inferenceResponseSchema.safeParse(body);
  if (success.success) {
    const inference = success.data.inference;
    const jobId = inference.job?.id;
    if (!jobId || !isValidId(jobId) || !isValidId(inference.id)) return 'bad_payload';
    if (connection.jobs.wasPushed(jobId) || isPushedHere(connection, jobId)) return 'duplicate';
    const owner = connection.owner(jobId);
    // The result is its job's owner's, wherever the job was enqueued (the record is shared).
    const jobOwner = owner?.partition ?? (await connection.state.owners.ownerOf('job', jobId).catch(() => undefined));
    if (jobOwner !== undefined) await connection.state.owners.record('inference', inference.id, jobOwner);
    let event: JobEvent;
    if (owner) {
      const { partition, job } = owner;
      const results = connection.state.results(partition);
      // Late (a poll already fetched it): what is kept stays as it is.
      if (!(await results.get(inference.id))) await keepInference(results, inference, job.product);
      const resultUrl = new URL(resultPath(job.product, encodeURIComponent(inference.id)), connection.baseUrl).href;
      connection.jobs.rememberResultUrl(partition, inference.id, resultUrl);
      event = {
        jobId,
        status: 'Processed',
        source: 'webhook',
        job: { job: { id: jobId, model_id: job.modelId, filename: job.filename ?? null, alias: job.alias ?? null, status: 'Processed', result_url: resultUrl } },
      };
    } else {
      // No job to hand over: a wait that hears of it checks the job itself, with its own key.
      event = { jobId, status: 'Processed', source: 'webhook' };
    }
    connection.jobs.markPushed(jobId);
    connection.state.jobEvents.publish(event);
    return owner ? 'stored' : 'unknown_job';
  }

  const failure = failurePayloadSchema.safeParse(body);
  if (!failure.success) return 'bad_payload';
  const { model_id: modelId, file_name: fileName, file_alias: alias } = failure.data;
  for (const jobId of connection.jobs.awaitingPush(modelId, fileName ?? null, alias ?? null)) {
    // A hint, not a fact: the wait checks the job, and the job says whether it failed.
    connection.state.jobEvents.publish({ jobId, status: 'Failed', source: 'webhook' });
  }
  return 'failure';
}

/** Whether this process already took a webhook's result of a job it did not enqueue. */
function isPushedHere(connection: Connection, jobId: string): boolean {
  const last = connection.state.jobEvents.last(jobId);
  return last?.source === 'webhook' && last.status === 'Processed';
}
