/**
 * The built-in checks, over the field names of Mindee's financial-document, invoice and receipt
 * models. Each applies only when a result has the fields it speaks of. Amounts compare within a
 * tolerance that follows the currency's decimals: one unit of the last decimal per value summed.
 */
import { currencyDecimals, ibanValid, isCalendarDate, isCurrencyCode, isVatType, vatFormValid } from './formats.js';
import { items, leaves, object, simple, type Leaf, type RawFields, type Where } from './fields.js';
import type { IssueKind, ReviewIssue } from './types.js';

/** Most issues kept while checking (the review lists fewer); past it they are only counted. */
const MAX_FOUND = 10_000;
/** Longest path and message of an issue: field names and values come from outside. */
const MAX_PATH = 300;
const MAX_MESSAGE = 500;
const clipText = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** What the checks found: issues, and how many checks ran. */
export class Findings {
  readonly issues: ReviewIssue[] = [];
  /** Issues past MAX_FOUND, counted only. */
  uncounted = 0;
  checks = 0;
  passed = 0;

  pass(): void {
    this.checks++;
    this.passed++;
  }

  fail(kind: IssueKind, path: string, message: string, where: Where = {}): void {
    this.checks++;
    this.note(kind, path, message, where);
  }

  /** An issue that is no check of its own (a value missing, a low confidence). */
  note(kind: IssueKind, path: string, message: string, where: Where = {}): void {
    if (this.issues.length >= MAX_FOUND) {
      this.uncounted++;
      return;
    }
    const issue: ReviewIssue = { path: clipText(path, MAX_PATH), kind, message: clipText(message, MAX_MESSAGE) };
    if (where.page !== undefined) issue.page = where.page;
    if (where.box) issue.box = where.box;
    this.issues.push(issue);
  }
}

const num = (l: Leaf | undefined): number | null => (l && typeof l.value === 'number' && Number.isFinite(l.value) ? l.value : null);
const str = (l: Leaf | undefined): string | null => (l && typeof l.value === 'string' && l.value.trim() !== '' ? l.value.trim() : null);

/** Amounts, formatted to the currency's decimals. */
export class Money {
  readonly unit: number;
  constructor(readonly decimals: number) {
    this.unit = 10 ** -decimals;
  }
  fmt(n: number): string {
    return n.toFixed(this.decimals);
  }
  /** Within `units` units of the last decimal (and a hair for binary fractions). */
  close(a: number, b: number, units = 1): boolean {
    return Math.abs(a - b) <= this.unit * units + 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
}

/** Fields that must not come out null when the result is a financial document. */
const REQUIRED_FINANCIAL = ['date', 'total_amount', 'supplier_name'] as const;

/** Whether a result has the fields of a financial document, invoice or receipt. */
function isFinancial(fields: RawFields): boolean {
  return simple(fields, 'total_amount') !== undefined && (Object.hasOwn(fields, 'date') || Object.hasOwn(fields, 'line_items') || Object.hasOwn(fields, 'total_net'));
}

/** The currency of a result (locale.currency, or a top-level currency), when it has one. */
export function currencyOf(fields: RawFields): Leaf | undefined {
  const locale = object(fields, 'locale');
  return (locale ? simple(locale, 'currency', 'locale.') : undefined) ?? simple(fields, 'currency');
}

export function builtInChecks(fields: RawFields, found: Findings): void {
  const currencyLeaf = currencyOf(fields);
  const currency = str(currencyLeaf)?.toUpperCase() ?? null;
  const money = new Money(currencyDecimals(currency));
  const financial = isFinancial(fields);

  if (financial) {
    const names: string[] = [...REQUIRED_FINANCIAL];
    // An invoice (a model with an invoice number that says it is one, or has no receipt number).
    const kind = str(simple(fields, 'document_type'))?.toLowerCase();
    if (simple(fields, 'invoice_number') && (kind === undefined || kind === 'invoice' || !simple(fields, 'receipt_number'))) names.push('invoice_number');
    for (const name of names) {
      const leaf = simple(fields, name);
      if (leaf && (leaf.value === null || leaf.value === '')) found.note('missing', name, `${name} is missing`, leaf);
    }
  }

  lineChecks(fields, money, found);
  totalChecks(fields, money, found);
  taxChecks(fields, money, found);
  dateChecks(fields, found);
  if (currencyLeaf && currency) {
    if (isCurrencyCode(currency)) found.pass();
    else found.fail('invalid_format', currencyLeaf.path, `currency ${quoteValue(currency)} is not an ISO 4217 code`, currencyLeaf);
  }
  ibanChecks(fields, found);
  vatChecks(fields, found);
}

function quoteValue(v: string): string {
  const s = v.length > 40 ? `${v.slice(0, 40)}…` : v;
  return JSON.stringify(s);
}

function lineChecks(fields: RawFields, money: Money, found: Findings): void {
  const lines = items(fields, 'line_items');
  if (!lines || lines.length === 0) return;
  const totals: number[] = [];
  for (const { index, fields: line } of lines) {
    const prefix = `line_items.${index}.`;
    const q = simple(line, 'quantity', prefix);
    const u = simple(line, 'unit_price', prefix);
    const t = simple(line, 'total_price', prefix);
    const [qn, un, tn] = [num(q), num(u), num(t)];
    if (tn !== null) totals.push(tn);
    if (qn === null || un === null || tn === null) continue;
    // Unit prices may carry more decimals than the currency: one unit of slack either way.
    if (money.close(qn * un, tn)) found.pass();
    else found.fail('failed_check', t!.path, `${t!.path} ${money.fmt(tn)} ≠ quantity ${qn} × unit_price ${un} = ${money.fmt(qn * un)}`, t);
  }
  // Lines sum to the net amount — or, where their prices include tax, to the total.
  if (totals.length !== lines.length) return;
  const sum = totals.reduce((a, b) => a + b, 0);
  const net = simple(fields, 'total_net');
  const total = simple(fields, 'total_amount');
  const [netN, totalN] = [num(net), num(total)];
  if (netN === null && totalN === null) return;
  const units = totals.length;
  if ((netN !== null && money.close(sum, netN, units)) || (totalN !== null && money.close(sum, totalN, units))) {
    found.pass();
    return;
  }
  const target = netN !== null ? net! : total!;
  const against = netN !== null && totalN !== null ? `total_net ${money.fmt(netN)} (or total_amount ${money.fmt(totalN)})` : `${target.path} ${money.fmt(num(target)!)}`;
  found.fail('failed_check', target.path, `line_items total_price sum ${money.fmt(sum)} ≠ ${against}`, target);
}

function totalChecks(fields: RawFields, money: Money, found: Findings): void {
  const net = simple(fields, 'total_net');
  const tax = simple(fields, 'total_tax');
  const total = simple(fields, 'total_amount');
  const tips = simple(fields, 'tips_gratuity');
  const [n, t, a] = [num(net), num(tax), num(total)];
  if (n === null || t === null || a === null) return;
  const tipsN = num(tips);
  const sum = n + t + (tipsN ?? 0);
  const terms = tipsN ? 3 : 2;
  if (money.close(sum, a, terms - 1)) {
    found.pass();
    return;
  }
  const tipText = tipsN ? ` + tips_gratuity ${money.fmt(tipsN)}` : '';
  found.fail('failed_check', 'total_amount', `total_amount ${money.fmt(a)} ≠ total_net ${money.fmt(n)} + total_tax ${money.fmt(t)}${tipText}`, total);
}

function taxChecks(fields: RawFields, money: Money, found: Findings): void {
  const taxes = items(fields, 'taxes');
  if (!taxes || taxes.length === 0) return;
  const amounts: number[] = [];
  for (const { index, fields: tax } of taxes) {
    const prefix = `taxes.${index}.`;
    const base = simple(tax, 'base', prefix);
    const rate = simple(tax, 'rate', prefix);
    const amount = simple(tax, 'amount', prefix);
    const [b, r, a] = [num(base), num(rate), num(amount)];
    if (a !== null) amounts.push(a);
    if (b === null || r === null || a === null) continue;
    // Rates come as percentages (20.0), and on some documents as fractions (0.2).
    if (money.close(b * r / 100, a) || (r < 1 && money.close(b * r, a))) found.pass();
    else found.fail('failed_check', amount!.path, `${amount!.path} ${money.fmt(a)} ≠ base ${money.fmt(b)} × rate ${r} % = ${money.fmt(b * r / 100)}`, amount);
  }
  const total = simple(fields, 'total_tax');
  const t = num(total);
  if (t === null || amounts.length !== taxes.length) return;
  const sum = amounts.reduce((x, y) => x + y, 0);
  if (money.close(sum, t, amounts.length)) found.pass();
  else found.fail('failed_check', 'total_tax', `total_tax ${money.fmt(t)} ≠ taxes amount sum ${money.fmt(sum)}`, total);
}

/** A date field by its name: `date`, `due_date`, `*_date`. */
const isDateName = (name: string) => name === 'date' || name.endsWith('_date');

function dateChecks(fields: RawFields, found: Findings): void {
  for (const name of Object.keys(fields)) {
    if (!isDateName(name)) continue;
    const leaf = simple(fields, name);
    const v = str(leaf);
    if (!leaf || v === null) continue;
    if (isCalendarDate(v)) found.pass();
    else found.fail('invalid_format', leaf.path, `${leaf.path} ${quoteValue(v)} is not a date that exists (YYYY-MM-DD)`, leaf);
  }
  const date = simple(fields, 'date');
  const due = simple(fields, 'due_date');
  const [d, u] = [str(date), str(due)];
  if (d === null || u === null || !isCalendarDate(d) || !isCalendarDate(u)) return;
  if (u >= d) found.pass();
  else found.fail('failed_check', 'due_date', `due_date ${u} is before date ${d}`, due);
}

/** Every simple field named `name`, at any depth (a bounded walk). */
function named(fields: RawFields, name: string): Leaf[] {
  return leaves(fields, 50_000, undefined, name).leaves;
}

function ibanChecks(fields: RawFields, found: Findings): void {
  for (const leaf of named(fields, 'iban')) {
    const v = str(leaf);
    if (v === null) continue;
    if (ibanValid(v)) found.pass();
    else found.fail('invalid_format', leaf.path, `${leaf.path} fails its checksum (ISO 13616 mod 97)`, leaf);
  }
}

/** The lists of company registrations Mindee's models use, top-level or inside the party. */
const REGISTRATION_LISTS: Array<[string, string | null]> = [
  ['supplier_company_registration', null],
  ['supplier_company_registrations', null],
  ['customer_company_registration', null],
  ['customer_company_registrations', null],
  ['company_registrations', 'supplier'],
  ['company_registrations', 'customer'],
];

function vatChecks(fields: RawFields, found: Findings): void {
  const locale = object(fields, 'locale');
  const country = (locale ? str(simple(locale, 'country')) : null) ?? str(simple(fields, 'country'));
  for (const [name, parent] of REGISTRATION_LISTS) {
    const holder = parent === null ? fields : object(fields, parent);
    const list = holder ? items(holder, name) : undefined;
    if (!list) continue;
    const base = parent === null ? name : `${parent}.${name}`;
    for (const { index, fields: reg } of list) {
      const type = str(simple(reg, 'type'));
      const number = simple(reg, 'number', `${base}.${index}.`);
      const v = str(number);
      if (type === null || v === null || !isVatType(type)) continue;
      const valid = vatFormValid(v, country && /^[A-Za-z]{2}$/.test(country) ? country : null);
      if (valid === null) continue;
      if (valid) found.pass();
      else found.fail('invalid_format', number!.path, `${number!.path} ${quoteValue(v)} is not in the form of a VAT number${country ? ` (country ${country})` : ''}`, number);
    }
  }
}

