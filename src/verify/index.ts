/**
 * Checks on a result and the verdict they give: built-in document checks, the rules file, and
 * Mindee's confidences, each doubt with the dotted path, page and box of its value. Pure
 * functions of a result: no I/O (the caller reads the rules file; `rules.ts` parses it).
 */
import type { Inference } from '../client/schemas.js';
import { builtInChecks, currencyOf, Findings, Money } from './checks.js';
import { isRecord, leaves, type RawFields } from './fields.js';
import { currencyDecimals } from './formats.js';
// Types only: the rules module (JSONata, YAML) is loaded when a rules file is (loadRuleSet).
import type { RuleSet } from './rules.js';
import { MAX_ISSUES, confidenceRank, type ConfidenceLevel, type IssueKind, type Review, type ReviewIssue } from './types.js';

export { CONFIDENCE_LEVELS, type ConfidenceLevel, type Review, type ReviewIssue } from './types.js';
export { RulesError, MAX_RULES_FILE_BYTES } from './types.js';
export type { RuleSet } from './rules.js';
export { currencyDecimals, ibanValid, isCalendarDate, isCurrencyCode, vatFormValid } from './formats.js';

/**
 * Reads a rules file's text (see rules.ts), loading the expression and YAML libraries only now:
 * a server without rules never loads them.
 */
export async function loadRuleSet(text: string, file: string, aliases: Readonly<Record<string, string>> = {}): Promise<RuleSet> {
  const { parseRules } = await import('./rules.js');
  return parseRules(text, file, aliases);
}

/** Below this level a value needs review, unless told otherwise (Mindee's advice: approve High and Certain). */
export const DEFAULT_MIN_CONFIDENCE: ConfidenceLevel = 'High';

export interface VerifyOptions {
  /** Values rated below this need review (default High: Medium and Low do). */
  minConfidence?: ConfidenceLevel;
  /** The rules file, looked up by the result's model id. */
  rules?: RuleSet | null;
  /** What the caller knows could not be checked, e.g. an option Mindee refused for the account. */
  unchecked?: string[];
}

/** The verdict on an inference, and, for classification, crop and split, on each extraction it holds. */
export interface InferenceReview {
  /** The whole result: for a product that nests extractions, their issues with paths into the answer (`crops.0.fields.total_amount`). */
  review: Review;
  /** Each nested extraction's own review, by where it sits: `classification`, `crops.0`, `splits.1`. Empty for an extraction. */
  nested: Array<{ at: string; review: Review }>;
}

/** Failed checks and missing values first: they are what a person must look at. */
const ORDER: Record<IssueKind, number> = { failed_check: 0, missing: 1, invalid_format: 2, low_confidence: 3 };

/** The verdict on one extraction's raw `fields`. */
export async function verifyFields(fields: RawFields, modelId: string | null, options: VerifyOptions = {}): Promise<Review> {
  const found = new Findings();
  builtInChecks(fields, found);
  if (options.rules?.forModel(modelId)) {
    const currency = currencyOf(fields)?.value;
    await options.rules.apply(fields, modelId, new Money(currencyDecimals(typeof currency === 'string' ? currency.toUpperCase() : null)), found);
  }
  return finish(fields, found, options);
}

/** The verdict on one extraction's raw `fields`, without the rules file's expressions (they run asynchronously). */
export function verifyFieldsSync(fields: RawFields, options: Omit<VerifyOptions, 'rules'> = {}): Review {
  const found = new Findings();
  builtInChecks(fields, found);
  return finish(fields, found, options);
}

function finish(fields: RawFields, found: Findings, options: VerifyOptions): Review {
  const min = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const limit = confidenceRank(min);
  const all = leaves(fields);
  let lowest: ConfidenceLevel | null = null;
  for (const leaf of all.leaves) {
    if (leaf.confidence === null) continue;
    const rank = confidenceRank(leaf.confidence);
    if (lowest === null || rank > confidenceRank(lowest)) lowest = leaf.confidence;
    if (rank > limit) found.note('low_confidence', leaf.path, `${leaf.path} confidence ${leaf.confidence}`, leaf);
  }
  const unchecked = [...(options.unchecked ?? [])];
  if (lowest === null && all.leaves.length > 0 && !unchecked.some((u) => u.startsWith('confidence'))) {
    unchecked.push('confidence: the result has none (the confidence option was off)');
  }
  if (all.truncated) unchecked.push(`confidence past the first ${all.leaves.length} values (the bound on values read)`);
  const sorted = found.issues.map((issue, i) => ({ issue, i })).sort((a, b) => ORDER[a.issue.kind] - ORDER[b.issue.kind] || a.i - b.i).map((x) => x.issue);
  const total = sorted.length + found.uncounted;
  const review: Review = {
    verdict: total === 0 ? 'accept' : 'needs_review',
    issues: sorted.slice(0, MAX_ISSUES),
    checks: found.checks,
    passed: found.passed,
    lowest_confidence: lowest,
    unchecked,
  };
  if (total > MAX_ISSUES) review.more_issues = total - MAX_ISSUES;
  return review;
}

/** The extraction `fields` and model of a nested `extraction_response`, when it has them. */
function nestedExtraction(response: unknown): { fields: RawFields; modelId: string | null } | null {
  if (!isRecord(response) || !isRecord(response.inference)) return null;
  const inference = response.inference;
  if (!isRecord(inference.result) || !isRecord(inference.result.fields)) return null;
  const model = isRecord(inference.model) && typeof inference.model.id === 'string' ? inference.model.id : null;
  return { fields: inference.result.fields, modelId: model };
}

/** Where each extraction of a result sits: `''` for an extraction, `crops.0` etc. for nested ones. */
function extractionsOf(inference: Inference): Array<{ at: string; fields: RawFields; modelId: string | null }> {
  const result = inference.result;
  if (isRecord(result.fields)) return [{ at: '', fields: result.fields, modelId: inference.model?.id ?? null }];
  const out: Array<{ at: string; fields: RawFields; modelId: string | null }> = [];
  if (isRecord(result.classification)) {
    const n = nestedExtraction(result.classification.extraction_response);
    if (n) out.push({ at: 'classification', ...n });
  }
  for (const key of ['crops', 'splits'] as const) {
    const list: unknown = result[key];
    if (!Array.isArray(list)) continue;
    list.forEach((entry, i) => {
      const n = isRecord(entry) ? nestedExtraction(entry.extraction_response) : null;
      if (n) out.push({ at: `${key}.${i}`, ...n });
    });
  }
  return out;
}

/**
 * The verdict on a result of any product: an extraction's own, or — for classification, crop
 * and split — one per nested extraction and their sum. Null when the result holds no extraction
 * (OCR, or a crop without extractions).
 */
export async function verifyInference(inference: Inference, options: VerifyOptions = {}): Promise<InferenceReview | null> {
  const extractions = extractionsOf(inference);
  if (extractions.length === 0) return null;
  const first = extractions[0]!;
  if (extractions.length === 1 && first.at === '') return { review: await verifyFields(first.fields, first.modelId, options), nested: [] };
  const nested: Array<{ at: string; review: Review }> = [];
  for (const e of extractions) nested.push({ at: e.at, review: await verifyFields(e.fields, e.modelId, options) });
  return { review: mergeReviews(nested), nested };
}

/** `verifyInference` without the rules file's expressions (which run asynchronously): built-in checks and confidences only. */
export function verifyInferenceSync(inference: Inference, options: Omit<VerifyOptions, 'rules'> = {}): InferenceReview | null {
  const extractions = extractionsOf(inference);
  if (extractions.length === 0) return null;
  const first = extractions[0]!;
  if (extractions.length === 1 && first.at === '') return { review: verifyFieldsSync(first.fields, options), nested: [] };
  const nested = extractions.map((e) => ({ at: e.at, review: verifyFieldsSync(e.fields, options) }));
  return { review: mergeReviews(nested), nested };
}

/** Nested reviews as one, each issue's path prefixed with where its extraction sits in the answer. */
function mergeReviews(nested: Array<{ at: string; review: Review }>): Review {
  const issues: ReviewIssue[] = [];
  let more = 0;
  let lowest: ConfidenceLevel | null = null;
  const unchecked = new Set<string>();
  let checks = 0;
  let passed = 0;
  for (const { at, review } of nested) {
    for (const issue of review.issues) {
      if (issues.length < MAX_ISSUES) issues.push({ ...issue, path: `${at}.fields.${issue.path}` });
      else more++;
    }
    more += review.more_issues ?? 0;
    checks += review.checks;
    passed += review.passed;
    if (review.lowest_confidence && (lowest === null || confidenceRank(review.lowest_confidence) > confidenceRank(lowest))) lowest = review.lowest_confidence;
    for (const u of review.unchecked) unchecked.add(u);
  }
  const merged: Review = { verdict: issues.length + more === 0 ? 'accept' : 'needs_review', issues, checks, passed, lowest_confidence: lowest, unchecked: [...unchecked] };
  if (more > 0) merged.more_issues = more;
  return merged;
}

/** Longest first line of a verdict, in characters. */
const MAX_LINE = 500;

/**
 * The one line an agent can act on: `Needs review (2): total_amount 284.80 ≠ total_net 229.00 +
 * total_tax 45.80; …` or `Checked: 9 checks passed, lowest confidence High`.
 */
export function reviewLine(review: Omit<Review, 'issues' | 'lowest_confidence'> & { issues: ReadonlyArray<{ message: string }>; lowest_confidence: string | null }): string {
  const notChecked = review.unchecked.length ? `; not checked: ${review.unchecked.map((u) => u.split(':')[0]).join(', ')}` : '';
  if (review.verdict === 'accept') {
    const checks = review.checks === 0 ? 'no checks apply' : `${review.checks} check${review.checks === 1 ? '' : 's'} passed`;
    const conf = review.lowest_confidence ? `, lowest confidence ${review.lowest_confidence}` : '';
    return `Checked: ${checks}${conf}${notChecked}`;
  }
  const total = review.issues.length + (review.more_issues ?? 0);
  let line = `Needs review (${total}): `;
  let shown = 0;
  for (const issue of review.issues) {
    const part = (shown ? '; ' : '') + issue.message;
    if (line.length + part.length > MAX_LINE) break;
    line += part;
    shown++;
  }
  if (shown === 0 && review.issues.length === 0) line += 'the issues are left out of this answer, with the rest of the result';
  else if (shown < total) line += `${shown ? '; ' : ''}and ${total - shown} more${shown < review.issues.length ? ' (review.issues)' : ''}`;
  return line + notChecked;
}

