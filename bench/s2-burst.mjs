// Scenario 2: 200 documents at once against an emulator that enforces Mindee's limits
// (200 POST and 1200 GET a minute per organisation → 429). Each client gets its own emulator,
// i.e. its own organisation, so the two runs cannot eat each other's budget.
import { makePdf } from 'mindee-v2-emulator/samples';
import { runBoth } from './jobs.mjs';
import { ms, rng, summary, writeDocs, tempDir } from './lib.mjs';

export async function scenario2(opts, report) {
  const n = opts.n2;
  const { dir, remove } = await tempDir('mindee-bench-s2-');
  try {
    const r = rng(4004);
    const specs = Array.from({ length: n }, (_, i) => ({ name: `s2-doc-${String(i).padStart(3, '0')}`, pages: 1 + Math.floor(r() * 5) }));
    const paths = await writeDocs(dir, specs, makePdf);
    const docs = specs.map((s, i) => ({ ...s, path: paths[i], processingMs: Math.round(5000 + 25000 * r()) }));
    const deadlineMs = 600_000;
    report.progress(`scenario 2: ${n} documents at once per client, processing uniform 5–30 s, Mindee's rate limits on; ours with a ${deadlineMs / 1000} s deadline…`);
    const [ours, sdk] = await runBoth({ docs, concurrency: n, rateLimits: true, deadlineMs }, opts.sequential);
    const res = { n, processing: 'uniform 5000–30000 ms per document (seeded), 1–5 pages', deadlineMs, ours: digest(ours), sdk: digest(sdk) };
    res.pass = res.ours.delivered === n && (res.ours.errors['HTTP 429'] ?? 0) === 0;
    report.row(`2 burst of ${n}`, 'delivered / failed', `${res.ours.delivered} / ${res.ours.failed}`, `${res.sdk.delivered} / ${res.sdk.failed}`, `ours ${n} / 0`, res.pass);
    report.row(`2 burst of ${n}`, 'failures by cause', fmtErrors(res.ours.errors), fmtErrors(res.sdk.errors), 'no 429 failure', (res.ours.errors['HTTP 429'] ?? 0) === 0);
    report.row(`2 burst of ${n}`, '429s answered by the emulator (POST+GET)', `${res.ours.status429.POST}+${res.ours.status429.GET}`, `${res.sdk.status429.POST}+${res.sdk.status429.GET}`, '—', null);
    report.row(`2 burst of ${n}`, 'wall time (until the last job settled)', ms(res.ours.wallMs), ms(res.sdk.wallMs), '—', null);
    for (const [who, d] of [['ours', res.ours], ['SDK', res.sdk]]) {
      report.note(`scenario 2, ${who}: requests reaching the emulator per 10 s (GET/POST): ${d.timeline.map((b) => `${b.get}/${b.post}`).join(' ')}`);
    }
    report.row(`2 burst of ${n}`, 'median / p90 delay after completion (delivered jobs)', `${ms(res.ours.delay.median)} / ${ms(res.ours.delay.p90)}`, `${ms(res.sdk.delay.median)} / ${ms(res.sdk.delay.p90)}`, '—', null);
    return res;
  } finally {
    await remove();
  }
}

function fmtErrors(errors) {
  const entries = Object.entries(errors);
  return entries.length ? entries.map(([k, v]) => `${k}: ${v}`).join(', ') : 'none';
}

function digest(run) {
  const errors = {};
  const samples = {};
  for (const j of run.jobs) {
    if (j.ok) continue;
    errors[j.error] = (errors[j.error] ?? 0) + 1;
    samples[j.error] ??= j.message;
  }
  const ok = run.jobs.filter((j) => j.ok);
  const lastFailure = Math.max(0, ...run.jobs.filter((j) => !j.ok).map((j) => j.failedAt - j.startedAt));
  return {
    delivered: ok.length,
    failed: run.jobs.length - ok.length,
    errors,
    errorSamples: samples,
    status429: run.status429,
    wallMs: run.wallMs,
    requestsLogged: run.requestsLogged,
    timeline: run.timeline,
    unattributedGets: run.unattributedGets,
    retries: run.retries,
    delay: summary(ok.map((j) => j.delayMs)),
    getsPerDeliveredJob: ok.length ? ok.reduce((a, j) => a + j.gets, 0) / ok.length : null,
    latestFailureAfterMs: lastFailure || null,
  };
}
