/** The rules file: what it reads, what it refuses (naming the file, the rule and the fault), and its bounds. */
import { describe, expect, it } from 'vitest';
import { RulesError, verifyFields, type Review } from '../../src/verify/index.js';
import { parseRules } from '../../src/verify/rules.js';
import { cleanInvoice, rawFields, type Invoice } from '../helpers/raw-fields.js';

const MODEL = '11111111-2222-4333-8444-555555555555';
const ALIASES = { invoice: MODEL };

const YAML_RULES = `
# rules of the invoice model, by its alias
invoice:
  required: [invoice_number, supplier_name, line_items.description]
  fields:
    locale.currency: { one_of: [EUR, USD] }
    invoice_number: { pattern: "^INV-[0-9]+$" }
    total_amount: { min: 0, max: 10000 }
    line_items.quantity: { min: 1 }
  checks:
    - name: lines make the net
      expr: $sum(line_items.total_price)
      equals: total_net
    - name: big invoices have a PO
      expr: total_amount < 1000 or $exists(po_number)
      path: po_number
`;

async function check(rulesText: string, change: (d: Invoice) => void = () => {}, file = 'rules.yaml'): Promise<Review> {
  const rules = parseRules(rulesText, file, ALIASES);
  const doc = cleanInvoice();
  change(doc);
  return verifyFields(rawFields(doc, { confidence: 'Certain' }), MODEL, { rules });
}

const kinds = (r: Review) => r.issues.map((i) => `${i.kind} ${i.path}`);

describe('a good rules file', () => {
  it('passes a clean invoice, counting each rule as a check', async () => {
    const r = await check(YAML_RULES);
    expect(r.issues).toEqual([]);
    // 12 built-in checks, 3 required (the line descriptions count once), 1 + 1 + 1 + 2 field rules (one per line), 2 expressions.
    expect(r.checks).toBe(12 + 3 + 5 + 2);
  });

  it('reads JSON as well', async () => {
    const json = JSON.stringify({ [MODEL]: { required: ['po_number'] } });
    expect(kinds(await check(json, () => {}, 'rules.json'))).toEqual(['missing po_number']);
  });

  it.each([
    ['a required field null', (d: Invoice) => (d.supplier_name = null), ['missing supplier_name']],
    ['a required field in every line', (d: Invoice) => (d.line_items[1]!.description = null), ['missing line_items.1.description']],
    ['a value not allowed', (d: Invoice) => (d.locale.currency = 'GBP'), ['invalid_format locale.currency']],
    ['a pattern not matched', (d: Invoice) => (d.invoice_number = 'X-1'), ['invalid_format invoice_number']],
    ['a range left, in a list', (d: Invoice) => Object.assign(d.line_items[0]!, { quantity: 0, total_price: 0, unit_price: 0 }), ['failed_check line_items.0.quantity']],
  ])('%s', async (_name, change, expected) => {
    const r = await check(YAML_RULES, change);
    expect(kinds(r)).toEqual(expect.arrayContaining(expected));
    expect(r.verdict).toBe('needs_review');
  });

  it('compares amounts within the currency tolerance, naming both sides', async () => {
    const rules = 'invoice:\n  checks:\n    - { name: net, expr: "$sum(line_items.total_price)", equals: "total_net + 0.01" }\n';
    expect((await check(rules)).issues).toEqual([]);
    const off = 'invoice:\n  checks:\n    - { name: net, expr: "$sum(line_items.total_price)", equals: "total_net + 0.02" }\n';
    const r = await check(off);
    expect(r.issues).toEqual([{ path: '', kind: 'failed_check', message: 'rule "net": $sum(line_items.total_price) = 65 ≠ total_net + 0.02 = 65.02' }]);
    const loose = 'invoice:\n  checks:\n    - { name: net, expr: "$sum(line_items.total_price)", equals: "total_net + 0.02", tolerance: 0.05 }\n';
    expect((await check(loose)).issues).toEqual([]);
  });

  it('points a failed expression at its path, with the page and box there', async () => {
    const r = await check(YAML_RULES, (d) => Object.assign(d, { total_amount: 5000, total_net: 4987, line_items: [], taxes: [] }));
    expect(kinds(r)).toContain('failed_check po_number');
    expect(r.issues.find((i) => i.path === 'po_number')!.message).toBe('rule "big invoices have a PO" failed: total_amount < 1000 or $exists(po_number)');
  });

  it('skips a comparison whose values are not in the result', async () => {
    const r = await check('invoice:\n  checks:\n    - { name: x, expr: "$sum(nothing.here)", equals: "absent" }\n');
    expect(r.issues).toEqual([]);
  });

  it('applies to the model it names only', async () => {
    const rules = parseRules('invoice:\n  required: [po_number]\n', 'r.yaml', ALIASES);
    const r = await verifyFields(rawFields(cleanInvoice()), '99999999-2222-4333-8444-555555555555', { rules });
    expect(r.issues).toEqual([]);
  });
});

describe('bounds on an expression (a result is outside data)', () => {
  it('stops after its steps and says which bound it hit', async () => {
    const rules = parseRules('invoice:\n  checks:\n    - { name: loop, expr: "$count([1..1000].($sum([1..50]))) > 0" }\n', 'r.yaml', ALIASES).withBounds({ steps: 500 });
    const r = await verifyFields(rawFields(cleanInvoice()), MODEL, { rules });
    expect(r.issues).toEqual([{ path: '', kind: 'failed_check', message: 'rule "loop" could not be checked: it stopped after 500 evaluation steps (the bound on a rule\'s work)' }]);
  });

  it('refuses to build a sequence past its size bound', async () => {
    const rules = parseRules('invoice:\n  checks:\n    - { name: big, expr: "$count([1..5000]) > 0" }\n', 'r.yaml', ALIASES).withBounds({ sequence: 1000 });
    const r = await verifyFields(rawFields(cleanInvoice()), MODEL, { rules });
    expect(r.issues[0]!.message).toBe('rule "big" could not be checked: it built a sequence longer than 1000 (the bound on a rule\'s size)');
  });

  it('counts steps per evaluation: concurrent verdicts do not share a budget', async () => {
    const rules = parseRules('invoice:\n  checks:\n    - { name: lines, expr: "$count(line_items) = 2" }\n', 'r.yaml', ALIASES).withBounds({ steps: 60 });
    const fields = rawFields(cleanInvoice());
    const all = await Promise.all(Array.from({ length: 20 }, () => verifyFields(fields, MODEL, { rules })));
    for (const r of all) expect(r.issues).toEqual([]);
  });
});

describe('a bad rules file is refused, naming the file, the rule and the fault', () => {
  it.each([
    ['invoice: [unclosed', /^bad\.yaml: not valid JSON or YAML/],
    ['- a list', /^bad\.yaml: \(the whole file\): .*model ids or aliases/],
    ['shipping:\n  required: [x]\n', /^bad\.yaml: shipping: "shipping" is neither a model UUID nor an alias of MINDEE_MCP_MODELS \(invoice\)\.$/],
    ['invoice:\n  require: [x]\n', /^bad\.yaml: invoice: Unrecognized key: "require"/],
    ['invoice:\n  fields:\n    total: { pattern: "([" }\n', /^bad\.yaml: invoice\.fields\.total\.pattern: not a valid regular expression/],
    ['invoice:\n  fields:\n    total: { min: 5, max: 1 }\n', /^bad\.yaml: invoice\.fields\.total: min 5 is above max 1\.$/],
    ['invoice:\n  fields:\n    total: { one_of: EUR }\n', /^bad\.yaml: invoice\.fields\.total\.one_of: /],
    ['invoice:\n  checks:\n    - { name: sum, expr: "$sum((" }\n', /^bad\.yaml: invoice\.checks\.0 \("sum"\)\.expr: not a valid JSONata expression: .*\(at character \d+\)\.$/],
    ['invoice:\n  checks:\n    - { expr: "true" }\n', /^bad\.yaml: invoice\.checks\.0\.name: /],
    ['invoice:\n  required: ["a..b"]\n', /^bad\.yaml: invoice\.required\.0: a field path is names joined by dots/],
    [`invoice: {}\n${MODEL}: {}\n`, /^bad\.yaml: .*: model .* has rules twice/],
  ])('%j', (text, message) => {
    expect(() => parseRules(text, 'bad.yaml', ALIASES)).toThrow(RulesError);
    expect(() => parseRules(text, 'bad.yaml', ALIASES)).toThrow(message);
  });

  it('refuses a file larger than its bound', () => {
    expect(() => parseRules(`# ${'x'.repeat(1024 * 1024)}`, 'big.yaml')).toThrow(/^big\.yaml: the rules file is larger than 1024 KB\.$/);
  });

  it('bounds YAML aliases (no "billion laughs")', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    expect(() => parseRules(laughs, 'laughs.yaml')).toThrow(/^laughs\.yaml: not valid JSON or YAML/);
  });
});
