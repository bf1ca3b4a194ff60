// Scenario 1: how long after the emulator marks a job finished does the caller hold the result,
// and how many GETs did each job cost. Same documents, same order, same processing times for
// both clients; each client has its own emulator (own rate limits, own request log).
import { makePdf } from 'mindee-v2-emulator/samples';
import { runBoth } from './jobs.mjs';
import { ms, num, ratio, rng, summary, writeDocs, tempDir } from './lib.mjs';

export const VARIANTS = {
  pages: 'processing = pages × 1000 ms × (1 ± 10 % uniform jitter), pages uniform 1–20',
  uniform: 'processing uniform 1000–20000 ms, independent of pages (pages still uniform 1–20)',
};

export async function scenario1(opts, report) {
  const n = opts.n1;
  const warmup = opts.warmup1;
  const concurrency = opts.concurrency1;
  const total = warmup + n;
  const { dir, remove } = await tempDir('mindee-bench-s1-');
  const results = { n, warmup, concurrency, parallelClients: !opts.sequential, variants: {} };
  try {
    const pagesRng = rng(1001);
    const pages = Array.from({ length: total }, () => 1 + Math.floor(pagesRng() * 20));
    const specs = pages.map((p, i) => ({ name: `s1-doc-${String(i).padStart(3, '0')}`, pages: p }));
    const paths = await writeDocs(dir, specs, makePdf);
    for (const variant of opts.variants1) {
      const r = rng(variant === 'pages' ? 2002 : 3003);
      const docs = specs.map((s, i) => ({
        ...s,
        path: paths[i],
        processingMs: Math.round(variant === 'pages' ? s.pages * 1000 * (0.9 + 0.2 * r()) : 1000 + 19000 * r()),
      }));
      report.progress(`scenario 1 (${variant}): ${total} jobs per client (${warmup} warm-up + ${n} measured), ${concurrency} at once, ${opts.sequential ? 'clients one after the other' : 'both clients at the same time, each on its own emulator'}…`);
      const [ours, sdk] = await runBoth({ docs, concurrency, rateLimits: true, deadlineMs: 180_000 }, opts.sequential);
      const v = { model: VARIANTS[variant], ours: digest(ours, warmup), sdk: digest(sdk, warmup) };
      v.medianDelayRatio = ratio(v.ours.delay.median, v.sdk.delay.median);
      v.getsPerJobRatio = ratio(v.ours.getsPerJob, v.sdk.getsPerJob);
      v.pass = {
        delay: v.medianDelayRatio !== null && v.medianDelayRatio <= 0.5,
        gets: v.getsPerJobRatio !== null && v.getsPerJobRatio <= 2,
        allDelivered: v.ours.failed === 0 && v.sdk.failed === 0,
      };
      results.variants[variant] = v;
      report.row(`1 latency (${variant})`, 'median delay after completion', ms(v.ours.delay.median), ms(v.sdk.delay.median), 'ours ≤ 0.5× SDK', v.pass.delay, `ratio ${num(v.medianDelayRatio)}`);
      report.row(`1 latency (${variant})`, 'p90 delay after completion', ms(v.ours.delay.p90), ms(v.sdk.delay.p90), '—', null);
      report.row(`1 latency (${variant})`, 'mean GETs per job', num(v.ours.getsPerJob), num(v.sdk.getsPerJob), 'ours ≤ 2× SDK', v.pass.gets, `ratio ${num(v.getsPerJobRatio)}`);
      report.row(
        `1 latency (${variant})`,
        'learning: median delay, 1st half → 2nd half of measured jobs',
        `${ms(v.ours.firstHalf.median)} → ${ms(v.ours.secondHalf.median)}`,
        `${ms(v.sdk.firstHalf.median)} → ${ms(v.sdk.secondHalf.median)}`,
        '—',
        null,
      );
      if (!v.pass.allDelivered) report.note(`scenario 1 (${variant}): failures — ours ${JSON.stringify(v.ours.errors)}, SDK ${JSON.stringify(v.sdk.errors)}`);
      for (const [who, d] of [['ours', v.ours], ['SDK', v.sdk]]) {
        if (d.pageMismatch.length) report.note(`scenario 1 (${variant}, ${who}): the emulator counted other page counts: ${d.pageMismatch.slice(0, 3).join('; ')}`);
        if (d.status429.GET || d.status429.POST) report.note(`scenario 1 (${variant}, ${who}): the emulator answered 429 ${d.status429.POST}× to POST, ${d.status429.GET}× to GET`);
      }
    }
  } finally {
    await remove();
  }
  return results;
}

function digest(run, warmup) {
  const measured = run.jobs.filter((j) => j.index >= warmup);
  const delays = measured.filter((j) => j.ok).map((j) => j.delayMs);
  const half = Math.floor(measured.length / 2);
  const halfDelays = (list) => list.filter((j) => j.ok).map((j) => j.delayMs);
  const errors = {};
  for (const j of run.jobs) if (!j.ok) errors[j.error] = (errors[j.error] ?? 0) + 1;
  const gets = measured.filter((j) => j.ok).map((j) => j.gets);
  return {
    delivered: measured.filter((j) => j.ok).length,
    failed: run.jobs.filter((j) => !j.ok).length,
    errors,
    delay: summary(delays),
    firstHalf: summary(halfDelays(measured.slice(0, half))),
    secondHalf: summary(halfDelays(measured.slice(half))),
    warmupDelay: summary(halfDelays(run.jobs.filter((j) => j.index < warmup))),
    getsPerJob: gets.length ? gets.reduce((a, b) => a + b, 0) / gets.length : null,
    wallMs: run.wallMs,
    status429: run.status429,
    retries: run.retries,
    pageMismatch: run.pageMismatch,
    sdkRequestsRewritten: run.sdkRequestsRewritten,
    jobs: run.jobs.map(({ index, name, pages, processingMs, jobId, ok, delayMs, gets: g, error }) => ({ index, name, pages, processingMs, jobId, ok, delayMs, gets: g, error })),
  };
}
