// Scenario 11 (issue 18): what the verdict on a result costs. (a) Verifying a 200-line invoice
// in process — the built-in checks and every value's confidence — against the unverified path,
// which only turns the result into its view. (b) The delay the verdict adds to a result through
// the built server over stdio: get_inference_result without a review (checks: false), with a
// verdict made anew each call (the threshold alternates, so none is kept), and with the verdict
// kept with the result (the usual case: a result is verified once). Calls alternate, so drift
// hits every kind alike.
import { prepareDocument } from '../dist/client/inputs.js';
import { MindeeClient } from '../dist/client/mindee-client.js';
import { verifyInference } from '../dist/verify/index.js';
import { inferenceView } from '../dist/results/inference.js';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { DEMO_MODELS, startEmulator } from 'mindee-v2-emulator';
import { connectServer, ms, summary, trackCloser } from './lib.mjs';

const MODEL_ID = DEMO_MODELS.invoice;

const TARGET_MS = 5;

/** A Mindee extraction result of an invoice with `lines` lines whose figures add up, with confidences and locations. */
function invoice(lines) {
  const at = (i) => [{ page: Math.floor(i / 40), polygon: [[0.1, (i % 40) / 40], [0.9, (i % 40) / 40], [0.9, (i % 40) / 40 + 0.02], [0.1, (i % 40) / 40 + 0.02]] }];
  const levels = ['Certain', 'High', 'High', 'Medium'];
  const simple = (value, i) => ({ value, confidence: levels[i % levels.length], locations: at(i) });
  const items = Array.from({ length: lines }, (_, i) => {
    const quantity = (i % 5) + 1;
    const unit = 3.25 + (i % 7);
    return {
      fields: {
        description: simple(`Item ${i + 1}`, i),
        quantity: simple(quantity, i + 1),
        unit_price: simple(unit, i + 2),
        total_price: simple(Math.round(quantity * unit * 100) / 100, i + 3),
      },
      confidence: null,
      locations: [],
    };
  });
  const net = Math.round(items.reduce((s, it) => s + it.fields.total_price.value, 0) * 100) / 100;
  const tax = Math.round(net * 20) / 100;
  const fields = {
    invoice_number: simple('INV-200', 0),
    date: simple('2026-11-02', 1),
    due_date: simple('2026-12-02', 2),
    supplier_name: simple('Acme Paper Supplies Ltd', 3),
    locale: { fields: { currency: simple('EUR', 4), country: simple('FR', 5) }, confidence: null, locations: [] },
    line_items: { items, confidence: null },
    taxes: { items: [{ fields: { base: simple(net, 6), rate: simple(20, 7), amount: simple(tax, 8) }, confidence: null, locations: [] }], confidence: null },
    total_net: simple(net, 9),
    total_tax: simple(tax, 10),
    total_amount: simple(Math.round((net + tax) * 100) / 100, 11),
    supplier_payment_details: { items: [{ fields: { iban: simple('FR1420041010050500013M02606', 12) }, confidence: null, locations: [] }], confidence: null },
    supplier_company_registration: { items: [{ fields: { type: simple('VAT', 13), number: simple('FR40303265045', 14) }, confidence: null, locations: [] }], confidence: null },
  };
  return { id: 'bench-200', job: { id: 'job-200' }, model: { id: MODEL_ID }, file: { name: 'invoice-200.pdf', alias: null, page_count: 5, mime_type: 'application/pdf' }, result: { fields, raw_text: null }, active_options: { confidence: true, polygon: true } };
}

async function inProcess(opts) {
  const runs = opts.quick ? 60 : 400;
  const warmup = 40;
  const doc = invoice(200);
  const time = async (fn) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const verify = () => verifyInference(doc, {});
  const view = async () => inferenceView(doc, {});
  for (let i = 0; i < warmup; i++) {
    await verify();
    await view();
  }
  const verified = [];
  const viewed = [];
  for (let i = 0; i < runs; i++) {
    viewed.push(await time(view));
    verified.push(await time(verify));
  }
  const review = await verify();
  return { runs, verify: summary(verified), view: summary(viewed), checks: review.review.checks, issues: review.review.issues.length + (review.review.more_issues ?? 0) };
}

async function overStdio(opts) {
  const calls = opts.quick ? 30 : 200;
  const warmup = 20;
  const emulator = await startEmulator({ rateLimits: false, processingMs: 0 });
  const closeEmulator = trackCloser(() => emulator.close());
  const direct = new MindeeClient({ apiKey: emulator.apiKey, baseUrl: emulator.url, rateLimits: { postPerMinute: 1e6, getPerMinute: 1e6 } });
  const closeDirect = trackCloser(() => direct.close());
  let server = null;
  try {
    server = await connectServer({ MINDEE_V2_BASE_URL: emulator.url, MINDEE_V2_API_KEY: emulator.apiKey, MINDEE_MCP_LOG_LEVEL: 'error', MINDEE_MCP_MAX_GETS_PER_MINUTE: '1000000' });
    const mcp = server.client;
    const document = await prepareDocument({ base64: Buffer.from(makeSampleInvoicePdf()).toString('base64'), filename: 'sample-invoice.pdf' });
    const job = await direct.enqueue(document, { modelId: MODEL_ID, confidence: true, polygon: true }).finally(() => document.close());
    const done = await direct.waitForResult(job, { fetchResult: false });
    if (done.state !== 'processed') throw new Error(`the job did not get processed (${done.state})`);
    const inferenceId = done.job.result_url.split('/').pop();
    const call = async (args) => {
      const t = performance.now();
      const r = await mcp.callTool({ name: 'get_inference_result', arguments: { inference_id: inferenceId, ...args } });
      const elapsed = performance.now() - t;
      if (r.isError) throw new Error(`get_inference_result failed: ${JSON.stringify(r.content).slice(0, 300)}`);
      if ((args.checks === false) !== (r.structuredContent?.review === undefined)) throw new Error('the review is not where it should be');
      return elapsed;
    };
    let made = 0;
    const fresh = () => call({ min_confidence: ++made % 2 ? 'Medium' : 'Low' });
    const kinds = { unverified: () => call({ checks: false }), fresh, kept: () => call({ min_confidence: 'High' }) };
    for (let i = 0; i < warmup; i++) for (const run of Object.values(kinds)) await run();
    const times = { unverified: [], fresh: [], kept: [] };
    const order = Object.keys(kinds);
    for (let i = 0; i < calls; i++) {
      const rotated = [...order.slice(i % order.length), ...order.slice(0, i % order.length)];
      for (const k of rotated) times[k].push(await kinds[k]());
    }
    return { calls, unverified: summary(times.unverified), fresh: summary(times.fresh), kept: summary(times.kept) };
  } finally {
    await server?.close();
    await closeDirect();
    await closeEmulator();
  }
}

export async function scenario11(opts, report) {
  report.progress('scenario 11: the verdict on a result — a 200-line invoice verified in process, and the delay over stdio…');
  const a = await inProcess(opts);
  report.row('11 verify', `verification of a 200-line invoice (${a.checks} checks, every confidence), p50 / p90`, `${ms(a.verify.median, 2)} / ${ms(a.verify.p90, 2)}`, `unverified view: ${ms(a.view.median, 2)} / ${ms(a.view.p90, 2)}`, `≤ ${TARGET_MS} ms (p50)`, a.verify.median <= TARGET_MS);
  const b = await overStdio(opts);
  const addedFresh = b.fresh.median - b.unverified.median;
  const addedKept = b.kept.median - b.unverified.median;
  report.row('11 verify', 'get_inference_result over stdio, p50: unverified / verdict made / verdict kept', `${ms(b.unverified.median, 2)} / ${ms(b.fresh.median, 2)} / ${ms(b.kept.median, 2)}`, 'n/a', '—', null);
  report.row('11 verify', 'median delay the verdict adds to a result (made anew; kept)', `${ms(addedFresh, 2)}; ${ms(addedKept, 2)}`, 'n/a', `≤ ${TARGET_MS} ms`, addedFresh <= TARGET_MS && addedKept <= TARGET_MS);
  report.note(`scenario 11: the 200-line invoice's verdict lists ${a.issues} issue(s) (its Medium confidences); the stdio figures are of the emulator's sample invoice, ${b.calls} calls of each kind.`);
  return { inProcess: a, stdio: { ...b, addedFreshMs: addedFresh, addedKeptMs: addedKept } };
}
