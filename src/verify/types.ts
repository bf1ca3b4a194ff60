/** The verdict on one extraction result, in the words of the tools' answers (snake_case, 1-based pages). */

export type IssueKind = 'low_confidence' | 'missing' | 'failed_check' | 'invalid_format';

/** Mindee's confidence levels, most sure first. */
export const CONFIDENCE_LEVELS = ['Certain', 'High', 'Medium', 'Low'] as const;
export type ConfidenceLevel = (typeof CONFIDENCE_LEVELS)[number];

/** [x_min, y_min, x_max, y_max], relative to the page (0..1). */
export type Box = [number, number, number, number];

export interface ReviewIssue {
  /** The field, dotted as `fields` paths are, list items by 0-based index: `line_items.2.total_price`. */
  path: string;
  kind: IssueKind;
  message: string;
  /** 1-based page of the value, from Mindee's locations. */
  page?: number;
  box?: Box;
}

export interface Review {
  verdict: 'accept' | 'needs_review';
  issues: ReviewIssue[];
  /** Issues past the bound on `issues` (counted, not listed). */
  more_issues?: number;
  /** Checks run (built-in and rules), and of them how many passed. */
  checks: number;
  passed: number;
  /** The least sure confidence of any value, or null when the result has no confidences. */
  lowest_confidence: ConfidenceLevel | null;
  /** What could not be checked, and why (e.g. a result without confidences). */
  unchecked: string[];
}

/** Most issues listed in one review; the rest are counted in `more_issues`. */
export const MAX_ISSUES = 50;

export function isConfidence(v: unknown): v is ConfidenceLevel {
  return typeof v === 'string' && (CONFIDENCE_LEVELS as readonly string[]).includes(v);
}

/** Rank of a level: 0 for Certain … 3 for Low. */
export function confidenceRank(level: ConfidenceLevel): number {
  return CONFIDENCE_LEVELS.indexOf(level);
}

/** Bounds of one rule expression's evaluation (a result is outside data). */
export interface ExpressionBounds {
  /** Evaluation steps (each sub-expression evaluated counts one). */
  steps: number;
  /** Wall-clock milliseconds (JSONata's own guard). */
  timeoutMs: number;
  /** Nesting depth of the evaluation. */
  depth: number;
  /** Longest sequence an expression may build. */
  sequence: number;
}

export const DEFAULT_EXPRESSION_BOUNDS: Readonly<ExpressionBounds> = Object.freeze({ steps: 200_000, timeoutMs: 250, depth: 200, sequence: 100_000 });

/** Largest rules file read. */
export const MAX_RULES_FILE_BYTES = 1024 * 1024;

/** A rules file that cannot be used: the message names the file, the rule and what is wrong. */
export class RulesError extends Error {
  override name = 'RulesError';
}
