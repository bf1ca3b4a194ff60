/**
 * The verdict on a result (src/verify) as the tools give it: its arguments, the settings it
 * follows, and the one verdict per result and settings kept with the result (memory or Redis),
 * so every answer about a result — whichever process gives it — says the same.
 */
import { z } from 'zod';
import type { Inference } from '../client/schemas.js';
import type { EnqueueParams } from '../client/types.js';
import { reviewShape } from '../results/shapes.js';
import { applyDecisions, parseDecisions, reviewedNote, reviewedVerdict, type Decision } from '../review/decisions.js';
import { CONFIDENCE_LEVELS, DEFAULT_MIN_CONFIDENCE, verifyInference, type ConfidenceLevel, type InferenceReview } from '../verify/index.js';
import type { ToolDeps, ToolSettings, VerifySettings } from './define.js';

const DEFAULT_VERIFY: Readonly<VerifySettings> = Object.freeze({ minConfidence: DEFAULT_MIN_CONFIDENCE, rules: null, confidence: true, polygon: true });

export function reviewArgs(settings: ToolSettings) {
  return {
    checks: z.boolean().optional().describe('false: no review'),
    min_confidence: z
      .enum(CONFIDENCE_LEVELS)
      .optional()
      .describe(`default ${(settings.verify ?? DEFAULT_VERIFY).minConfidence}`),
  };
}

export type ReviewArgs = { checks?: boolean; min_confidence?: ConfidenceLevel };

/**
 * The options an extraction enqueue sends by default (confidence and polygon, unless turned off),
 * marked droppable: if Mindee refuses one for the account, the enqueue goes once more without it.
 */
export function withVerifyDefaults(params: EnqueueParams, deps: ToolDeps): EnqueueParams {
  if ((params.product ?? 'extraction') !== 'extraction') return params;
  const settings = deps.settings.verify ?? DEFAULT_VERIFY;
  const out: EnqueueParams = { ...params, droppable: [] };
  if (params.confidence === undefined && settings.confidence) {
    out.confidence = true;
    out.droppable!.push('confidence');
  }
  if (params.polygon === undefined && settings.polygon) {
    out.polygon = true;
    out.droppable!.push('polygon');
  }
  return out;
}

const storedSchema = z.object({ review: reviewShape, nested: z.array(z.object({ at: z.string(), review: reviewShape })) });

/** A verdict, and when a person reviewed the result, the line that says so. */
export type KeptReview = InferenceReview & { reviewed?: string };

/** A result as its caller reads it: the reviewed values in place, the verdict after review, the decisions. */
export interface ReviewedResult {
  inference: Inference;
  review: KeptReview | null;
  decisions: Decision[];
}

/** The decisions a person made on this caller's result (none when it is not kept). */
export async function decisionsOf(inferenceId: string, deps: ToolDeps): Promise<Decision[]> {
  return parseDecisions(await deps.client.results.getDecisions(inferenceId));
}

/** Every answer about a result goes through here: the values a person reviewed replace Mindee's, and the verdict follows. */
export async function reviewedResult(raw: Inference, args: ReviewArgs, deps: ToolDeps): Promise<ReviewedResult> {
  const decisions = await decisionsOf(raw.id, deps);
  const inference = applyDecisions(raw, decisions);
  return { inference, review: await reviewFor(inference, args, deps, decisions), decisions };
}

/** What Mindee refused for the job that made this result, as the verdict says it. */
function refusedNotes(inference: Inference, deps: ToolDeps): string[] {
  const jobId = inference.job?.id;
  const dropped = jobId ? (deps.client.trackedJob(jobId)?.dropped ?? []) : [];
  return dropped.map((o) =>
    o === 'confidence'
      ? 'confidence: Mindee refused the confidence option for this account, so the result has none'
      : 'locations: Mindee refused the polygon option for this account, so issues carry no page or box',
  );
}

/**
 * The verdict on a result under the call's arguments and the settings: the one kept with the
 * result when it was made under the same threshold and rules, else made now and kept. Null with
 * `checks: false`, and for results that hold no extraction (OCR).
 */
export async function reviewFor(inference: Inference, args: ReviewArgs, deps: ToolDeps, decisions: readonly Decision[] = []): Promise<KeptReview | null> {
  if (args.checks === false) return null;
  if (decisions.length > 0) {
    // Reviewed: the checks run again on the reviewed values (a correction may mend a sum), then
    // what a person accepted or corrected is settled. Not kept: it follows the decisions.
    const settings = deps.settings.verify ?? DEFAULT_VERIFY;
    const fresh = await verifyInference(inference, { minConfidence: args.min_confidence ?? settings.minConfidence, rules: settings.rules, unchecked: refusedNotes(inference, deps) }).catch(
      (error: unknown) => {
        deps.log.error(`the checks of reviewed result ${inference.id} failed`, error);
        return null;
      },
    );
    return { ...reviewedVerdict(fresh ?? checksFailed(), decisions), reviewed: reviewedNote(decisions) };
  }
  const settings = deps.settings.verify ?? DEFAULT_VERIFY;
  const minConfidence = args.min_confidence ?? settings.minConfidence;
  // The verdict kept from the enqueue also knows what Mindee refused then, which a later read in another process cannot.
  const key = `${minConfidence}|${settings.rules?.id ?? '-'}`;
  const store = deps.client.results;
  const kept = await store.getReview(inference.id);
  if (kept?.key === key) {
    try {
      const parsed = storedSchema.safeParse(JSON.parse(kept.json));
      if (parsed.success) return parsed.data as InferenceReview;
    } catch {
      // not a verdict: made anew below
    }
  }
  const unchecked = refusedNotes(inference, deps);
  let review: InferenceReview | null;
  try {
    review = await verifyInference(inference, { minConfidence, rules: settings.rules, unchecked });
  } catch (error) {
    // A bug in the checks must not cost the caller the result, nor pass it as checked.
    deps.log.error(`the checks of result ${inference.id} failed`, error);
    return checksFailed();
  }
  if (review) await store.putReview(inference.id, { key, json: JSON.stringify(review) });
  return review;
}

/** The verdict when the checks themselves failed: never passed as checked. */
function checksFailed(): InferenceReview {
  return {
    review: {
      verdict: 'needs_review',
      issues: [{ path: '', kind: 'failed_check', message: 'the checks could not run (an internal error of this server, logged): review the result yourself' }],
      checks: 0,
      passed: 0,
      lowest_confidence: null,
      unchecked: ['checks: an internal error stopped them'],
    },
    nested: [],
  };
}
