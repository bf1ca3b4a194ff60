/**
 * A rules file (MINDEE_MCP_RULES, JSON or YAML): per model id or alias, the fields a result must
 * have, the values, patterns and ranges they may take, and JSONata expressions over the result's
 * plain values (as `detail: "values"` shows them), each run with a bound on its steps, time,
 * nesting and sequence length — a result is outside data. Parsing is pure: the caller reads the
 * file.
 */
import { createHash } from 'node:crypto';
import jsonata from 'jsonata';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UUID_PATTERN } from '../client/schemas.js';
import { isRecord, leafOf, whereOf, type Leaf, type RawFields, type Scalar, type Where } from './fields.js';
import type { Findings, Money } from './checks.js';
import { DEFAULT_EXPRESSION_BOUNDS, MAX_RULES_FILE_BYTES, RulesError, type ExpressionBounds } from './types.js';



const scalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const pathSchema = z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a field path is names joined by dots, e.g. "supplier_address.city"');

const fieldRuleSchema = z.strictObject({
  one_of: z.array(scalarSchema).min(1).optional(),
  pattern: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
});

const checkRuleSchema = z.strictObject({
  name: z.string().min(1).max(200),
  /** JSONata: true passes; with `equals`, a number compared to it. */
  expr: z.string().min(1).max(4000),
  /** JSONata: the value `expr` must equal, within `tolerance`. */
  equals: z.string().min(1).max(4000).optional(),
  /** Largest difference accepted by `equals` (default: one unit of the currency's last decimal). */
  tolerance: z.number().nonnegative().optional(),
  /** The field an issue points at. */
  path: pathSchema.optional(),
});

const modelRulesSchema = z.strictObject({
  required: z.array(pathSchema).optional(),
  fields: z.record(pathSchema, fieldRuleSchema).optional(),
  checks: z.array(checkRuleSchema).optional(),
});

const rulesFileSchema = z.record(z.string().min(1), modelRulesSchema);

type Expression = ReturnType<typeof jsonata>;

interface CompiledCheck {
  name: string;
  source: string;
  expr: Expression;
  equals?: { source: string; expr: Expression };
  tolerance?: number;
  path?: string;
}

interface CompiledField {
  path: string;
  oneOf?: Scalar[];
  pattern?: RegExp;
  min?: number;
  max?: number;
}

export interface ModelRules {
  /** As the rules file names the model. */
  key: string;
  required: string[];
  fields: CompiledField[];
  checks: CompiledCheck[];
}

/** The rules of every model a rules file names, by model id (lower case). */
export class RuleSet {
  constructor(
    readonly file: string,
    private readonly byModel: ReadonlyMap<string, ModelRules>,
    readonly bounds: ExpressionBounds,
    private readonly reparse: (bounds: ExpressionBounds) => RuleSet,
    /** A digest of the file's text: a verdict made under other rules is made anew. */
    readonly id: string,
  ) {}

  forModel(modelId: string | null | undefined): ModelRules | undefined {
    return modelId ? this.byModel.get(modelId.toLowerCase()) : undefined;
  }

  /** Applies the rules of `modelId`, if the file has any, to an extraction's raw fields. */
  async apply(fields: RawFields, modelId: string | null, money: Money, found: Findings): Promise<void> {
    const rules = this.forModel(modelId);
    if (rules) await applyRules(fields, rules, this.bounds, money, found);
  }

  get models(): string[] {
    return [...this.byModel.values()].map((m) => m.key);
  }

  /** The same rules under other bounds (tests, the bench): compiled anew, as JSONata keeps some bounds in the expression. */
  withBounds(bounds: Partial<ExpressionBounds>): RuleSet {
    return this.reparse({ ...this.bounds, ...bounds });
  }
}


const STEPS = Symbol.for('jsonata.__evaluate_entry');
const STEP_COUNTER = '__mindee_mcp_steps';

function compile(source: string, bounds: ExpressionBounds): Expression {
  const expr = jsonata(source, { timeout: bounds.timeoutMs, stack: bounds.depth, sequence: bounds.sequence });
  // Counted per evaluation: the counter is bound with the input, so concurrent evaluations do not share it.
  (expr.assign as unknown as (name: symbol, value: unknown) => void)(STEPS, (_e: unknown, _i: unknown, env: { lookup(name: string): unknown }) => {
    const counter = env.lookup(STEP_COUNTER) as { n: number; max: number } | undefined;
    if (counter && ++counter.n > counter.max) throw Object.assign(new Error(`more than ${counter.max} evaluation steps`), { code: 'steps' });
  });
  return expr;
}

/**
 * Reads a rules file's text. `aliases` maps the MINDEE_MCP_MODELS aliases to model ids. Throws
 * RulesError naming the file, the rule and what is wrong.
 */
export function parseRules(text: string, file: string, aliases: Readonly<Record<string, string>> = {}, bounds: ExpressionBounds = DEFAULT_EXPRESSION_BOUNDS): RuleSet {
  const where = (rule: string) => `${file}: ${rule}`;
  if (text.length > MAX_RULES_FILE_BYTES) throw new RulesError(`${file}: the rules file is larger than ${MAX_RULES_FILE_BYTES / 1024} KB.`);
  let doc: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both. Aliases are bounded against "billion laughs".
    doc = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (error) {
    throw new RulesError(`${file}: not valid JSON or YAML (${(error as Error).message.split('\n')[0]}).`);
  }
  const parsed = rulesFileSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? issue.path.map(String).join('.') : '(the whole file)';
    const hint = issue.path.length === 0 ? ' It must be an object whose keys are model ids or aliases, each with required, fields and checks.' : '';
    throw new RulesError(`${where(at)}: ${issue.message}.${hint}`);
  }
  const byModel = new Map<string, ModelRules>();
  for (const [key, spec] of Object.entries(parsed.data)) {
    const id = UUID_PATTERN.test(key) ? key : aliases[key.toLowerCase()];
    if (!id) throw new RulesError(`${where(key)}: "${key}" is neither a model UUID nor an alias of MINDEE_MCP_MODELS${Object.keys(aliases).length ? ` (${Object.keys(aliases).join(', ')})` : ''}.`);
    if (byModel.has(id.toLowerCase())) throw new RulesError(`${where(key)}: model ${id} has rules twice (by its id and an alias); keep one.`);
    const fields: CompiledField[] = [];
    for (const [path, rule] of Object.entries(spec.fields ?? {})) {
      let pattern: RegExp | undefined;
      if (rule.pattern !== undefined) {
        try {
          pattern = new RegExp(rule.pattern, 'u');
        } catch (error) {
          throw new RulesError(`${where(`${key}.fields.${path}.pattern`)}: not a valid regular expression (${(error as Error).message}).`);
        }
      }
      if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) throw new RulesError(`${where(`${key}.fields.${path}`)}: min ${rule.min} is above max ${rule.max}.`);
      fields.push({ path, oneOf: rule.one_of, pattern, min: rule.min, max: rule.max });
    }
    const checks: CompiledCheck[] = (spec.checks ?? []).map((c, i) => {
      const at = (part: string) => where(`${key}.checks.${i} ("${c.name}").${part}`);
      const make = (source: string, part: string): Expression => {
        try {
          return compile(source, bounds);
        } catch (error) {
          const e = error as { message?: string; position?: number };
          throw new RulesError(`${at(part)}: not a valid JSONata expression: ${e.message ?? String(error)}${e.position === undefined ? '' : ` (at character ${e.position})`}.`);
        }
      };
      return {
        name: c.name,
        source: c.expr,
        expr: make(c.expr, 'expr'),
        ...(c.equals === undefined ? {} : { equals: { source: c.equals, expr: make(c.equals, 'equals') } }),
        ...(c.tolerance === undefined ? {} : { tolerance: c.tolerance }),
        ...(c.path === undefined ? {} : { path: c.path }),
      };
    });
    byModel.set(id.toLowerCase(), { key, required: spec.required ?? [], fields, checks });
  }
  return new RuleSet(file, byModel, bounds, (b) => parseRules(text, file, aliases, b), createHash('sha256').update(text).digest('hex').slice(0, 16));
}

/**
 * The simple fields a dotted path names, through objects and into every item of a list; or the
 * path where it stops when a part is not in the result.
 */
function resolvePath(fields: RawFields, path: string): { found: Leaf[]; absent: string | null } {
  const parts = path.split('.');
  const found: Leaf[] = [];
  let absent: string | null = null;
  const walk = (holder: RawFields, i: number, prefix: string): void => {
    const name = parts[i]!;
    const field = Object.hasOwn(holder, name) ? holder[name] : undefined;
    const here = prefix + name;
    if (!isRecord(field)) {
      absent ??= here;
      return;
    }
    const last = i === parts.length - 1;
    if (Array.isArray(field.items)) {
      field.items.forEach((item, k) => {
        if (isRecord(item) && isRecord(item.fields) && !last) walk(item.fields, i + 1, `${here}.${k}.`);
        else if (last && isRecord(item) && !isRecord(item.fields)) found.push(leafOf(item, `${here}.${k}`));
      });
      return;
    }
    if (isRecord(field.fields)) {
      if (!last) walk(field.fields, i + 1, `${here}.`);
      return;
    }
    if (last) found.push(leafOf(field, here));
    else absent ??= here;
  };
  walk(fields, 0, '');
  return { found, absent };
}

/** Plain values, as `detail: "values"` shows them (a bounded walk). */
function plainValues(fields: RawFields, budget = { left: 50_000 }, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const value = (field: unknown, d: number): unknown => {
    if (budget.left-- <= 0 || d > 32 || !isRecord(field)) return null;
    if (Array.isArray(field.items)) return field.items.map((item) => value(item, d + 1));
    if (isRecord(field.fields)) return plainValues(field.fields, budget, d + 1);
    const v = field.value;
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
  };
  for (const name of Object.keys(fields)) out[name] = value(fields[name], depth);
  return out;
}

function show(v: unknown, money: Money): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : money.fmt(v);
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? typeof v;
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** What an evaluation error says, with the bound it hit when it hit one. */
function evaluationError(error: unknown, bounds: ExpressionBounds): string {
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case 'steps':
      return `it stopped after ${bounds.steps} evaluation steps (the bound on a rule's work)`;
    case 'D1012':
      return `it ran past ${bounds.timeoutMs} ms (the bound on a rule's time)`;
    case 'D1011':
      return `it nested deeper than ${bounds.depth} (the bound on a rule's depth)`;
    case 'D2015':
      return `it built a sequence longer than ${bounds.sequence} (the bound on a rule's size)`;
    default:
      return `it failed: ${(e.message ?? String(error)).slice(0, 200)}`;
  }
}

/** Applies one model's rules to an extraction's raw fields. */
async function applyRules(fields: RawFields, rules: ModelRules, bounds: ExpressionBounds, money: Money, found: Findings): Promise<void> {
  for (const path of rules.required) {
    const { found: leaves, absent } = resolvePath(fields, path);
    if (absent !== null && leaves.length === 0) {
      found.fail('missing', path, `${path} is required by the rules (${rules.key}) but is not in the result`);
      continue;
    }
    const empty = leaves.filter((l) => l.value === null || l.value === '');
    if (empty.length === 0) found.pass();
    for (const l of empty) found.fail('missing', l.path, `${l.path} is missing (required by the rules)`, l);
  }
  for (const rule of rules.fields) {
    for (const l of resolvePath(fields, rule.path).found) {
      if (l.value === null) continue;
      const v = l.value;
      const problems: string[] = [];
      if (rule.oneOf && !rule.oneOf.includes(v)) problems.push(`is not one of ${show(rule.oneOf, money)}`);
      if (rule.pattern && !rule.pattern.test(String(v))) problems.push(`does not match ${rule.pattern.source}`);
      if (rule.min !== undefined || rule.max !== undefined) {
        if (typeof v !== 'number') problems.push('is not a number');
        else if (rule.min !== undefined && v < rule.min) problems.push(`is below ${rule.min}`);
        else if (rule.max !== undefined && v > rule.max) problems.push(`is above ${rule.max}`);
      }
      if (problems.length === 0) found.pass();
      else found.fail(rule.oneOf || rule.pattern ? 'invalid_format' : 'failed_check', l.path, `${l.path} ${show(v, money)} ${problems.join(', ')}`, l);
    }
  }
  if (rules.checks.length === 0) return;
  const input = plainValues(fields);
  for (const check of rules.checks) {
    const path = check.path ?? (check.equals && /^[A-Za-z0-9_]+$/.test(check.equals.source.trim()) ? check.equals.source.trim() : '');
    const where: Where = path && Object.hasOwn(fields, path) ? whereOf(fields[path]) : {};
    const evaluate = (expr: Expression) => expr.evaluate(input, { [STEP_COUNTER]: { n: 0, max: bounds.steps } }) as Promise<unknown>;
    let left: unknown;
    let right: unknown;
    try {
      left = await evaluate(check.expr);
      if (check.equals) right = await evaluate(check.equals.expr);
    } catch (error) {
      found.fail('failed_check', path, `rule "${check.name}" could not be checked: ${evaluationError(error, bounds)}`, where);
      continue;
    }
    if (check.equals) {
      // Nothing to compare (the fields are not in this result): the rule does not apply.
      if (left === undefined || right === undefined) continue;
      if (typeof left !== 'number' || typeof right !== 'number') {
        if (left === right) found.pass();
        else found.fail('failed_check', path, `rule "${check.name}": ${check.source} = ${show(left, money)} ≠ ${check.equals.source} = ${show(right, money)}`, where);
        continue;
      }
      const ok = check.tolerance === undefined ? money.close(left, right) : Math.abs(left - right) <= check.tolerance + 1e-9;
      if (ok) found.pass();
      else found.fail('failed_check', path, `rule "${check.name}": ${check.source} = ${show(left, money)} ≠ ${check.equals.source} = ${show(right, money)}`, where);
      continue;
    }
    if (left === true) found.pass();
    else if (left === false) found.fail('failed_check', path, `rule "${check.name}" failed: ${check.source}`, where);
    else if (left !== undefined) found.fail('failed_check', path, `rule "${check.name}" gave ${show(left, money)}, not true or false: ${check.source}`, where);
  }
}
