/**
 * review_result: a person reviews the values of an extraction result that are in doubt. Without
 * `decisions` it starts a review, the way the host can show one: a host that renders MCP Apps
 * gets the review view (declared in `_meta.ui`, rendered from this answer); a host that shows
 * forms gets the flagged values as flat forms of at most ten fields, round after round, each
 * prefilled with the extracted value; any other host gets the verdict and the exact call that
 * records a decision. With `decisions` it records them (an agent passing on what a person said,
 * or the view confirming). Decisions are kept beside the result (src/review/decisions.ts).
 */
import { z } from 'zod';
import { MindeeInputError } from '../client/errors.js';
import { reviewShape } from '../results/shapes.js';
import { DECISION_ACTIONS, MAX_DECISIONS, MAX_DECISION_TEXT, decisionSchema, leafMap, mergeDecisions, type Decision, type DecisionValue } from '../review/decisions.js';
import { documentRef } from '../review/document.js';
import { REVIEW_VIEW_URI } from '../review/view.js';
import { clip, stripControl } from '../lib/text.js';
import { reviewLine, type ReviewIssue } from '../verify/index.js';
import type { Leaf } from '../verify/fields.js';
import { defineTool, type FormAnswer, type ToolDeps, type ToolSettings } from './define.js';
import { decisionsOf, reviewFor, reviewedResult } from './review.js';

const REVIEW_TOOL = 'review_result';
/** Fields of one form: hosts show forms flat, and long ones are not read. */
export const FORM_FIELDS = 10;
/** Form rounds of one call (the 2025 shim allows 8, the 2026 client driver 10): past them, the answer says to call again. */
const FORM_ROUNDS = 5;
/** Fields one answer lists (flagged first); past it, the answer says how many were left out. */
const MAX_REVIEW_FIELDS = 200;

const value = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const fieldShape = z.object({
  path: z.string(),
  value,
  confidence: z.string().nullable(),
  page: z.number().optional(),
  box: z.array(z.number()).optional(),
  flagged: z.boolean(),
  reason: z.string().optional(),
});
type FieldOut = z.infer<typeof fieldShape>;

const outputShape = {
  inference_id: z.string(),
  verdict: reviewShape.shape.verdict,
  issues: reviewShape.shape.issues,
  fields: z.array(fieldShape),
  document: z.union([z.object({ uri: z.string(), mime_type: z.string(), pages: z.number().nullable() }), z.object({ uri: z.null(), reason: z.string() })]),
  decisions: z.array(decisionSchema),
  reviewed: z.boolean(),
};
type Output = z.output<z.ZodObject<typeof outputShape>>;

export const reviewResult = (_settings: ToolSettings) => {
  const tool = defineTool({
    name: REVIEW_TOOL,
    title: 'Review a Mindee result',
    description:
      'Has a person review the flagged values of an extraction result (the view or a form, if the host has one). ' +
      'decisions records accept/correct/reject per field path; later reads use the reviewed values.',
    inputSchema: {
      inference_id: z.string().min(1).describe('Of an extraction result'),
      // Bounds (count, text length) are checked in `record`: in the schema they would cost tokens in every conversation.
      decisions: z
        .array(z.object({ path: z.string(), action: z.enum(DECISION_ACTIONS), value: value.optional().describe('For correct') }))
        .optional()
        .describe('Omit to start a review'),
      all_fields: z.boolean().optional().describe('List every field'),
    },
    outputSchema: outputShape,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    // The review view (an MCP App): declared here only, so no other tool opens it.
    _meta: { ui: { resourceUri: REVIEW_VIEW_URI } },
    async run(args, deps, ctx) {
      const raw = await deps.client.getResult({ inferenceId: args.inference_id, product: 'extraction' }, { signal: ctx.signal });
      const original = leafMap(raw);
      if (original.size === 0) {
        throw new MindeeInputError(`Result ${clip(args.inference_id, 80)} has no extracted fields to review.`, { hint: 'review_result reviews extraction results.' });
      }
      if (args.decisions?.length) {
        await record(args.inference_id, original, args.decisions, deps);
        const out = await answer(args.inference_id, raw, original, args.all_fields, deps);
        return { text: `${args.decisions.length} decision(s) recorded.\n${out.text}`, structured: out.structured };
      }
      const person = ctx.person;
      // The view shows the review where the host renders it and this server declares it (`_meta.ui`).
      const inView = person?.rendersViews === true && hasView(tool._meta);
      if (person && !inView && person.canAskForm) {
        // The answer to the last round this call asked, if this run carries one.
        let round = 0;
        let reply: FormAnswer | undefined;
        for (let n = FORM_ROUNDS; n >= 1 && !reply; n--) {
          reply = person.answer(formKey(n));
          if (reply) round = n;
        }
        let note = '';
        if (reply) {
          if (reply.action !== 'accept') {
            note = `The person ${reply.action === 'decline' ? 'declined' : 'cancelled'} the review form: nothing more was recorded.`;
          } else {
            const pending = await pendingFields(args.inference_id, raw, original, deps);
            await record(args.inference_id, original, formDecisions(pending.slice(0, FORM_FIELDS), reply.content ?? {}), deps);
          }
        }
        if (!reply || reply.action === 'accept') {
          const pending = await pendingFields(args.inference_id, raw, original, deps);
          if (pending.length > 0 && round < FORM_ROUNDS) return { ask: reviewForm(pending, round + 1, deps) };
          if (pending.length > 0) note = `${pending.length} flagged value(s) are still undecided after ${FORM_ROUNDS} forms (the bound of one call): call review_result again to go on.`;
          else if (round > 0) note = `The person reviewed the flagged values in ${round} form(s).`;
        }
        const out = await answer(args.inference_id, raw, original, args.all_fields, deps);
        return { text: [note, out.text].filter(Boolean).join('\n'), structured: out.structured };
      }
      const out = await answer(args.inference_id, raw, original, args.all_fields, deps);
      const pending = out.structured.fields.filter((f) => f.flagged && !out.structured.decisions.some((d) => d.path === f.path));
      let how: string;
      if (inView) how = 'The host shows the review view: the person accepts, corrects or rejects each flagged value there, on the page.';
      else if (pending.length > 0) {
        const example = { inference_id: args.inference_id, decisions: [{ path: pending[0]!.path, action: 'correct', value: pending[0]!.value }] };
        how = `This host shows no review view or form: show the person the values above, then record what they decide with review_result ${JSON.stringify(example)} (action accept, correct with value, or reject).`;
      } else how = '';
      return { text: [out.text, how].filter(Boolean).join('\n'), structured: out.structured };
    },
  });
  return tool;
};

/** Whether a tool definition declares an MCP Apps view (`_meta.ui.resourceUri`). */
export function hasView(meta: Record<string, unknown> | undefined): boolean {
  const ui = meta?.ui;
  return typeof ui === 'object' && ui !== null && typeof (ui as { resourceUri?: unknown }).resourceUri === 'string';
}

const formKey = (round: number) => `review_${round}`;

/** The flagged values no one has decided on yet, in the verdict's order. */
async function pendingFields(inferenceId: string, raw: Parameters<typeof reviewedResult>[0], original: Map<string, Leaf>, deps: ToolDeps): Promise<FieldOut[]> {
  const { review, decisions } = await reviewedResult(raw, {}, deps);
  const decided = new Set(decisions.map((d) => d.path));
  return flaggedFields(review?.review.issues ?? [], original).filter((f) => !decided.has(f.path));
}

/** One field per path an issue names (paths that are not a value, e.g. a whole list, are left to the text). */
function flaggedFields(issues: readonly ReviewIssue[], leaves: Map<string, Leaf>): FieldOut[] {
  const out = new Map<string, FieldOut>();
  for (const issue of issues) {
    const leaf = leaves.get(issue.path);
    if (!leaf) continue;
    const seen = out.get(issue.path);
    if (seen) {
      if (!seen.reason?.includes(issue.message)) seen.reason = `${seen.reason}; ${issue.message}`;
    }
    else out.set(issue.path, fieldOf(leaf, true, issue.message));
  }
  return [...out.values()];
}

function fieldOf(leaf: Leaf, flagged: boolean, reason?: string): FieldOut {
  return {
    path: leaf.path,
    value: leaf.value,
    confidence: leaf.confidence,
    ...(leaf.page === undefined ? {} : { page: leaf.page }),
    ...(leaf.box ? { box: leaf.box } : {}),
    flagged,
    ...(reason ? { reason } : {}),
  };
}

/** A flat form of the next flagged values: each prefilled with the extracted value; kept = accepted, edited = corrected, cleared = rejected. */
function reviewForm(pending: FieldOut[], round: number, deps: ToolDeps) {
  // Descriptions and values come from the document (outside data): no control characters, no key.
  const clean = (text: string) => deps.client.redact(stripControl(text));
  const shown = pending.slice(0, FORM_FIELDS);
  const shape: Record<string, z.ZodType> = {};
  for (const f of shown) {
    const where = [f.confidence ? `confidence ${f.confidence}` : null, f.page === undefined ? null : `page ${f.page}`].filter(Boolean).join(', ');
    const description = clean(clip(`${where ? `${where}. ` : ''}${f.reason ?? ''}`, 400));
    const v = f.value;
    const field = typeof v === 'number' ? z.number().default(v) : typeof v === 'boolean' ? z.boolean().default(v) : v === null ? z.string().optional() : z.string().default(clean(v));
    shape[f.path] = field.meta({ title: f.path, description });
  }
  const more = pending.length - shown.length;
  const message =
    `Review ${shown.length} value(s) in doubt${round > 1 ? ` (form ${round})` : ''}: keep a value to accept it, change it to correct it, clear it to reject it.` +
    (more > 0 ? ` ${more} more follow.` : '');
  return { key: formKey(round), message, schema: z.object(shape) };
}

/** What a filled form decides for each of its fields. */
function formDecisions(shown: FieldOut[], content: Record<string, unknown>): Array<{ path: string; action: Decision['action']; value?: DecisionValue }> {
  return shown.map((f) => {
    const given = content[f.path];
    // Left empty: an empty value is kept as it is (accepted), any other is rejected.
    if (given === undefined || given === null || given === '') return { path: f.path, action: f.value === null ? ('accept' as const) : ('reject' as const) };
    const v = typeof given === 'string' || typeof given === 'number' || typeof given === 'boolean' ? given : JSON.stringify(given);
    return String(v) === String(f.value) ? { path: f.path, action: 'accept' as const } : { path: f.path, action: 'correct' as const, value: v };
  });
}

/** Records decisions on this caller's result, each from Mindee's value, by the caller, now. */
async function record(
  inferenceId: string,
  original: Map<string, Leaf>,
  asked: ReadonlyArray<{ path: string; action: Decision['action']; value?: DecisionValue }>,
  deps: ToolDeps,
): Promise<void> {
  if (asked.length > MAX_DECISIONS) throw new MindeeInputError(`At most ${MAX_DECISIONS} decisions a call (${asked.length} given): nothing was recorded.`);
  const long = asked.find((d) => typeof d.value === 'string' && d.value.length > MAX_DECISION_TEXT);
  if (long) throw new MindeeInputError(`The value for ${clip(long.path, 100)} is longer than ${MAX_DECISION_TEXT} characters: nothing was recorded.`);
  const unknown = asked.filter((d) => !original.has(d.path)).map((d) => d.path);
  if (unknown.length) {
    const known = [...original.keys()].slice(0, 20).join(', ');
    throw new MindeeInputError(`Result ${clip(inferenceId, 80)} has no field ${clip(unknown.map((p) => JSON.stringify(p)).join(', '), 300)}: nothing was recorded.`, {
      hint: `Paths name one value, dotted, list items by index (line_items.0.total_price). This result's first fields: ${clip(known, 600)}.`,
    });
  }
  const noValue = asked.filter((d) => d.action === 'correct' && d.value === undefined).map((d) => d.path);
  if (noValue.length) throw new MindeeInputError(`A correction needs its value: ${clip(noValue.join(', '), 300)}. Nothing was recorded.`, { hint: 'Pass value with each correct decision.' });
  const at = new Date(deps.client.connection.clock.now()).toISOString();
  const by = deps.client.caller.id;
  const added: Decision[] = asked.map((d) => {
    const from = original.get(d.path)!.value;
    return { path: d.path, action: d.action, from, to: d.action === 'accept' ? from : d.action === 'reject' ? null : (d.value ?? null), by, at };
  });
  const merged = mergeDecisions(await decisionsOf(inferenceId, deps), added);
  if (merged.length > MAX_DECISIONS) throw new MindeeInputError(`A result keeps at most ${MAX_DECISIONS} decisions: nothing was recorded.`);
  const kept = await deps.client.results.putDecisions(inferenceId, JSON.stringify(merged));
  if (!kept) {
    throw new MindeeInputError(`The decisions on result ${clip(inferenceId, 80)} could not be kept: this server no longer keeps the result (it expired, or the store's bound pushed it out). Nothing was recorded.`, {
      hint: 'Read the result again with get_inference_result (it is kept again if Mindee still has it), then record the decisions.',
    });
  }
}

/** The review as it stands: verdict after decisions, the flagged (or all) fields with their reviewed values, the document, the decisions. */
async function answer(
  inferenceId: string,
  raw: Parameters<typeof reviewedResult>[0],
  original: Map<string, Leaf>,
  allFields: boolean | undefined,
  deps: ToolDeps,
): Promise<{ text: string; structured: Output }> {
  const { inference, review, decisions } = await reviewedResult(raw, {}, deps);
  const issues = review?.review.issues ?? [];
  const current = leafMap(inference);
  // Flagged: what Mindee's values raised (the verdict on the original, so a settled value still
  // shows), what the reviewed values raise now, and what a person decided on.
  const before = (await reviewFor(raw, {}, deps))?.review.issues ?? [];
  const decidedOnly = decisions.filter((d) => !before.some((i) => i.path === d.path) && !issues.some((i) => i.path === d.path));
  const flagged = flaggedFields([...before, ...issues, ...decidedOnly.map((d) => ({ path: d.path, kind: 'failed_check' as const, message: `${d.path}: ${PAST[d.action]} in review` }))], original);
  const byPath = new Map(flagged.map((f) => [f.path, f]));
  const pick = allFields ? [...current.values()].map((leaf) => fieldOf(leaf, byPath.has(leaf.path), byPath.get(leaf.path)?.reason)) : flagged.map((f) => ({ ...f, value: current.has(f.path) ? current.get(f.path)!.value : f.value }));
  pick.sort((a, b) => Number(b.flagged) - Number(a.flagged));
  const fields = pick.slice(0, MAX_REVIEW_FIELDS);
  const verdict = review?.review.verdict ?? 'accept';
  const document = await documentRef(inferenceId, deps);
  const structured: Output = { inference_id: inferenceId, verdict, issues, fields, document, decisions, reviewed: decisions.length > 0 };
  const lines = [review ? reviewLine(review.review) : 'No checks apply to this result.'];
  if (review?.reviewed) lines.push(review.reviewed);
  for (const f of fields) {
    const d = decisions.find((x) => x.path === f.path);
    const where = [f.confidence, f.page === undefined ? null : `p.${f.page}`].filter(Boolean).join(', ');
    const done = d ? ` [${PAST[d.action]}${d.action === 'correct' ? ` from ${JSON.stringify(d.from)}` : ''}]` : '';
    lines.push(`- ${f.path} = ${JSON.stringify(f.value)}${where ? ` (${where})` : ''}${done}${f.flagged && f.reason && !d ? `: ${clip(f.reason, 200)}` : ''}`);
  }
  if (pick.length > fields.length) lines.push(`${pick.length - fields.length} more field(s) past the first ${MAX_REVIEW_FIELDS} are left out.`);
  if (document.uri === null) lines.push(`No page image: ${document.reason}.`);
  return { text: lines.join('\n'), structured };
}

const PAST = { accept: 'accepted', correct: 'corrected', reject: 'rejected' } as const;
