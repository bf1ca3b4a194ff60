// Scenario 14 (issue 18): the checks on a labelled set. Invoices and receipts made with the
// emulator's generator (`makeFinancialDocument`), a quarter with one planted error (lines that do
// not add up, a wrong tax, a bad IBAN, a due date before the issue date, a missing total), the
// rest clean; each sent through our client to an in-process emulator with confidence and polygon
// on (as the tools send them), and its result verified as the tools verify it. Reported: the
// recall of each planted kind, and the share of clean documents flagged by a check (an issue of
// any kind but low confidence).
import { prepareDocument } from '../dist/client/inputs.js';
import { MindeeClient } from '../dist/client/mindee-client.js';
import { verifyInferenceSync } from '../dist/verify/index.js';
import { DEMO_MODELS, startEmulator } from 'mindee-v2-emulator';
import { PLANTED_ERRORS, RECEIPT_PLANTED_ERRORS, makeFinancialDocument } from 'mindee-v2-emulator/samples';
import { quantile, rng, trackCloser } from './lib.mjs';

/** The kinds the goal of 100 % recall speaks of (arithmetic, checksum, date), and the missing total beside them. */
const CHECKED_KINDS = ['line_arithmetic', 'lines_sum', 'wrong_tax', 'bad_iban', 'due_before_issue'];

/** The labelled set: `n` documents, two thirds invoices, a quarter with one planted error (kinds in turn). */
export function labelledSet(n, seed = 18) {
  const random = rng(seed);
  const planted = Math.round(n / 4);
  const set = [];
  let invoicePlant = 0;
  let receiptPlant = 0;
  for (let i = 0; i < n; i++) {
    const kind = i % 3 === 2 ? 'receipt' : 'invoice';
    // Planted documents spread through the set: every fourth.
    let plant;
    if (i % 4 === 3 && set.filter((d) => d.plant).length < planted) {
      plant = kind === 'invoice' ? PLANTED_ERRORS[invoicePlant++ % PLANTED_ERRORS.length] : RECEIPT_PLANTED_ERRORS[receiptPlant++ % RECEIPT_PLANTED_ERRORS.length];
    }
    // A bad IBAN needs a country with IBANs: another seed until one is drawn (bounded).
    let doc;
    for (let attempt = 0; attempt < 20 && !doc; attempt++) {
      try {
        doc = makeFinancialDocument({ seed: `${seed}:${i}:${attempt}`, kind, plant, lines: 1 + Math.floor(random() * 12) });
      } catch (error) {
        if (!String(error).includes('United States')) throw error;
      }
    }
    if (!doc) throw new Error(`document ${i}: no seed in 20 drew a country with IBANs`);
    set.push({ i, kind, plant: plant ?? null, doc });
  }
  return set;
}

export async function scenario14(opts, report) {
  const n = opts.n14;
  report.progress(`scenario 14: checks on a labelled set of ${n} invoices and receipts made with the emulator (a quarter with one planted error)…`);
  const emulator = await startEmulator({ rateLimits: false, processingMs: 0 });
  const closeEmulator = trackCloser(() => emulator.close());
  const client = new MindeeClient({ apiKey: emulator.apiKey, baseUrl: emulator.url, rateLimits: { postPerMinute: 1e6, getPerMinute: 1e6 } });
  const closeClient = trackCloser(() => client.close());
  const rows = [];
  try {
    const set = labelledSet(n);
    let next = 0;
    const worker = async () => {
      while (next < set.length) {
        const item = set[next++];
        const modelId = item.kind === 'invoice' ? DEMO_MODELS.invoice : DEMO_MODELS.receipt;
        const document = await prepareDocument({ base64: item.doc.pdf.toString('base64'), filename: `${item.kind}-${item.i}.pdf` });
        const job = await client.enqueue(document, { modelId, confidence: true, polygon: true }).finally(() => document.close());
        const outcome = await client.waitForResult(job, { fetchResult: true });
        if (outcome.state !== 'processed' || !outcome.inference) throw new Error(`document ${item.i}: ${outcome.state}`);
        const t = performance.now();
        const verified = verifyInferenceSync(outcome.inference);
        const verifyMs = performance.now() - t;
        const issues = verified?.review.issues ?? [];
        const byChecks = issues.filter((x) => x.kind !== 'low_confidence');
        rows.push({ i: item.i, kind: item.kind, plant: item.plant, verdict: verified?.review.verdict ?? null, flagged: byChecks.length > 0, kinds: [...new Set(byChecks.map((x) => x.kind))], first: byChecks[0]?.message ?? null, lowConfidence: issues.length - byChecks.length, verifyMs });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    await closeClient();
    await closeEmulator();
  }
  rows.sort((a, b) => a.i - b.i);

  const clean = rows.filter((r) => !r.plant);
  const cleanFlagged = clean.filter((r) => r.flagged);
  const table = [];
  table.push('| planted error | documents | flagged by a check | recall | first issue of one |');
  table.push('|---|---|---|---|---|');
  const recall = {};
  for (const kind of PLANTED_ERRORS) {
    const of = rows.filter((r) => r.plant === kind);
    const flagged = of.filter((r) => r.flagged);
    recall[kind] = of.length ? flagged.length / of.length : null;
    table.push(`| ${kind} | ${of.length} | ${flagged.length} | ${of.length ? `${((100 * flagged.length) / of.length).toFixed(0)} %` : 'n/a'} | ${(flagged[0]?.first ?? of[0]?.first ?? '—').slice(0, 120)} |`);
  }
  table.push(`| (none: clean) | ${clean.length} | ${cleanFlagged.length} | — | ${(cleanFlagged[0]?.first ?? '—').slice(0, 120)} |`);
  const checked = rows.filter((r) => CHECKED_KINDS.includes(r.plant));
  const checkedRecall = checked.length ? checked.filter((r) => r.flagged).length / checked.length : null;
  const missing = rows.filter((r) => r.plant === 'missing_total');
  const missingRecall = missing.length ? missing.filter((r) => r.flagged).length / missing.length : null;
  const falseShare = clean.length ? cleanFlagged.length / clean.length : null;
  const invoices = rows.filter((r) => r.kind === 'invoice').length;

  const pct = (v) => (v === null ? 'n/a' : `${(100 * v).toFixed(1)} %`);
  report.row('14 labelled set', `recall of planted arithmetic, checksum and date errors (${checked.length} documents)`, pct(checkedRecall), 'n/a', '100 %', checkedRecall === 1);
  report.row('14 labelled set', `recall of planted missing totals (${missing.length} documents)`, pct(missingRecall), 'n/a', '100 %', missingRecall === 1);
  report.row('14 labelled set', `clean documents flagged by a check, confidence aside (${clean.length} documents)`, pct(falseShare), 'n/a', '≤ 2 %', falseShare !== null && falseShare <= 0.02);
  report.note(`scenario 14: ${rows.length} documents (${invoices} invoices, ${rows.length - invoices} receipts), ${rows.length - clean.length} with one planted error; ${rows.filter((r) => r.lowConfidence > 0).length} results also had values below High confidence (not counted above).`);
  const verifyMs = rows.map((r) => r.verifyMs);
  report.note(`scenario 14: verifying one result (1–12 lines) took p50 ${quantile(verifyMs, 0.5).toFixed(2)} ms, p90 ${quantile(verifyMs, 0.9).toFixed(2)} ms (in the bench process, first calls included).`);
  for (const l of table) report.note(l);
  for (const r of cleanFlagged.slice(0, 5)) report.note(`scenario 14: clean document ${r.i} (${r.kind}) flagged: ${r.first}`);
  for (const r of rows.filter((x) => x.plant && !x.flagged).slice(0, 5)) report.note(`scenario 14: planted ${r.plant} in document ${r.i} (${r.kind}) not flagged`);
  return { documents: rows.length, recall, checkedRecall, missingRecall, cleanFlaggedShare: falseShare, table, rows };
}
