/**
 * A person's review decisions on an extraction result: each flagged (or any) value accepted,
 * corrected from → to, or rejected, by whom (the caller id) and when. Kept beside the result in
 * the result store (so with its lifetime and its caller's isolation); applied wherever the result
 * is read again, so answers, the resource, exports and batch rows carry the reviewed values. The
 * values Mindee gave stay readable in each decision's `from`.
 */
import { z } from 'zod';
import type { Inference } from '../client/schemas.js';
import { leaves, type Leaf } from '../verify/fields.js';
import type { InferenceReview, Review } from '../verify/index.js';

export const DECISION_ACTIONS = ['accept', 'correct', 'reject'] as const;
type DecisionAction = (typeof DECISION_ACTIONS)[number];
export type DecisionValue = string | number | boolean | null;

export interface Decision {
  path: string;
  action: DecisionAction;
  /** The value Mindee gave. */
  from: DecisionValue;
  /** The value the result now carries: `from` when accepted, the correction, null when rejected. */
  to: DecisionValue;
  /** The caller id of who decided. */
  by: string;
  /** ISO 8601. */
  at: string;
}

/** Most decisions kept on one result (one per field path: a later one on a path replaces it). */
export const MAX_DECISIONS = 500;
/** Longest text value a correction may carry. */
export const MAX_DECISION_TEXT = 2000;

const valueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const decisionSchema = z.object({ path: z.string(), action: z.enum(DECISION_ACTIONS), from: valueSchema, to: valueSchema, by: z.string(), at: z.string() });
const keptSchema = z.array(decisionSchema).max(MAX_DECISIONS);

/** Decisions as the store keeps them; anything else (a bug, another version) reads as none. */
export function parseDecisions(text: string | undefined): Decision[] {
  if (text === undefined) return [];
  try {
    const parsed = keptSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** The raw fields of an extraction result, or null for other results (OCR, crop…). */
function rawFieldsOf(inference: Inference): Record<string, unknown> | null {
  const result = inference.result as Record<string, unknown> | undefined;
  const fields = result?.fields;
  return typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? (fields as Record<string, unknown>) : null;
}

/** Every simple field of a result by its dotted path (bounded as the checks read them). */
export function leafMap(inference: Inference): Map<string, Leaf> {
  const fields = rawFieldsOf(inference);
  return new Map(fields ? leaves(fields).leaves.map((leaf) => [leaf.path, leaf]) : []);
}

/** `kept` with `added` merged in: one decision per path, the latest kept, in the order first decided. */
export function mergeDecisions(kept: readonly Decision[], added: readonly Decision[]): Decision[] {
  const byPath = new Map<string, Decision>();
  for (const d of [...kept, ...added]) byPath.set(d.path, d);
  return [...byPath.values()];
}

/** The simple field at a dotted path of raw fields (list items by index), or undefined. */
function fieldAt(fields: Record<string, unknown>, path: string): Record<string, unknown> | undefined {
  let node: unknown = { fields };
  for (const part of path.split('.')) {
    if (!isObject(node)) return undefined;
    if (Array.isArray(node.items)) node = node.items[Number(part)];
    else if (isObject(node.fields) && Object.hasOwn(node.fields, part)) node = node.fields[part];
    else return undefined;
  }
  return isObject(node) && 'value' in node ? node : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The result with the decisions' values in place of Mindee's (a copy: the kept result stays as
 * Mindee gave it). A rejected value becomes null; accepted values keep theirs.
 */
export function applyDecisions(inference: Inference, decisions: readonly Decision[]): Inference {
  if (decisions.length === 0 || !rawFieldsOf(inference)) return inference;
  const copy = structuredClone(inference);
  const fields = rawFieldsOf(copy)!;
  for (const d of decisions) {
    if (d.action === 'accept') continue;
    const field = fieldAt(fields, d.path);
    if (field) field.value = d.to;
  }
  return copy;
}

/** One line that says a result was reviewed, for the answers' notes and texts. */
export function reviewedNote(decisions: readonly Decision[]): string {
  const count = (action: DecisionAction) => decisions.filter((d) => d.action === action).length;
  const [accepted, corrected, rejected] = [count('accept'), count('correct'), count('reject')];
  const parts = [accepted && `${accepted} accepted`, corrected && `${corrected} corrected`, rejected && `${rejected} rejected`].filter(Boolean).join(', ');
  const last = decisions.reduce((a, d) => (d.at > a ? d.at : a), '');
  return `Reviewed by a person (${parts}; last ${last}): values shown are the reviewed ones; review_result gives each decision with Mindee's original value.`;
}

/**
 * The verdict after review: issues on values a person accepted or corrected are settled; those on
 * rejected values stay (a rejected value is wrong and has no right value yet), as do issues on
 * values no one decided on. With none left, the verdict is accept.
 */
export function reviewedVerdict(review: InferenceReview, decisions: readonly Decision[]): InferenceReview {
  if (decisions.length === 0) return review;
  const settled = new Set(decisions.filter((d) => d.action !== 'reject').map((d) => d.path));
  const rejected = new Set(decisions.filter((d) => d.action === 'reject').map((d) => d.path));
  const settle = (r: Review, prefix = ''): Review => {
    const issues = r.issues
      .filter((issue) => !settled.has(prefix + issue.path))
      .map((issue) => (rejected.has(prefix + issue.path) ? { ...issue, message: `rejected in review: ${issue.message}` } : issue));
    if (prefix === '') {
      const listed = new Set(issues.map((issue) => issue.path));
      for (const path of rejected) {
        if (!listed.has(path)) issues.push({ path, kind: 'failed_check', message: `${path}: rejected in review (the value is wrong; no right value was given)` });
      }
    }
    const verdict = issues.length === 0 && !r.more_issues ? 'accept' : 'needs_review';
    return { ...r, issues, verdict };
  };
  return { review: settle(review.review), nested: review.nested.map((n) => ({ at: n.at, review: settle(n.review, `${n.at}.`) })) };
}
