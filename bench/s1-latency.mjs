// Scenario 1: how long after the emulator marks a job finished does the caller hold the result,
// and how many GETs did each job cost. Same documents, same order, same processing times for
// both clients; each client has its own emulator (own rate limits, own request log).
// Three modes: *warm* (one process, after warm-up jobs), *cold* (a fresh process that has
// learned nothing: one batch of jobs at once, then it exits) and *restart* (a fresh process
// that starts from the timings the cold one kept in its state directory).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makePdf } from 'mindee-v2-emulator/samples';
import { runBoth } from './jobs.mjs';
import { ROOT, ms, num, ratio, rng, spawnNode, summary, writeDocs, tempDir } from './lib.mjs';

export const VARIANTS = {
  pages: 'processing = pages × 1000 ms × (1 ± 10 % uniform jitter), pages uniform 1–20',
  uniform: 'processing uniform 1000–20000 ms, independent of pages (pages still uniform 1–20)',
  // Issue 17: a restarted process polled these worse than a fresh one (cold and restart modes only).
  mix: 'one-page documents, processing uniform 2000–13000 ms (cold and restart only)',
};

/** Variants the warm mode runs: the mix is about a process that starts again. */
const WARM_VARIANTS = new Set(['pages', 'uniform']);

export const MODES = ['warm', 'cold', 'restart'];

/** Processing time of a document under a variant's model. */
const processingOf = (variant, pages, r) =>
  Math.round(variant === 'pages' ? pages * 1000 * (0.9 + 0.2 * r()) : variant === 'mix' ? 2000 + 11000 * r() : 1000 + 19000 * r());

export async function scenario1(opts, report) {
  const results = {};
  if (opts.modes1.includes('warm')) results.warm = await warm(opts, report);
  if (opts.modes1.includes('cold') || opts.modes1.includes('restart')) results.fresh = await fresh(opts, report);
  return results;
}

async function warm(opts, report) {
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
    for (const variant of opts.variants1.filter((v) => WARM_VARIANTS.has(v))) {
      const r = rng(variant === 'pages' ? 2002 : 3003);
      const docs = specs.map((s, i) => ({ ...s, path: paths[i], processingMs: processingOf(variant, s.pages, r) }));
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

/**
 * Cold and restart: per round, a fresh process per client runs one batch of jobs at once and
 * exits (ours keeping what it learned in a new state directory); then a second fresh process
 * per client runs another batch, ours starting from that directory. Rounds are pooled.
 */
async function fresh(opts, report) {
  const rounds = opts.rounds1;
  const batch = opts.batch1;
  const { dir, remove } = await tempDir('mindee-bench-s1-fresh-');
  const results = { rounds, batch, variants: {} };
  try {
    const pagesRng = rng(7007);
    const specs = Array.from({ length: rounds * 2 * batch }, (_, i) => ({ name: `s1-fresh-${String(i).padStart(3, '0')}`, pages: 1 + Math.floor(pagesRng() * 20) }));
    const paths = await writeDocs(dir, specs, makePdf);
    const onePage = specs.map((s) => ({ ...s, name: `${s.name}-1p`, pages: 1 }));
    const onePagePaths = opts.variants1.includes('mix') ? await writeDocs(dir, onePage, makePdf) : [];
    for (const variant of opts.variants1) {
      const r = rng(variant === 'pages' ? 8008 : variant === 'mix' ? 1717 : 9009);
      const docs =
        variant === 'mix'
          ? onePage.map((s, i) => ({ ...s, path: onePagePaths[i], processingMs: processingOf(variant, s.pages, r) }))
          : specs.map((s, i) => ({ ...s, path: paths[i], processingMs: processingOf(variant, s.pages, r) }));
      report.progress(`scenario 1 (${variant}, cold and restart): ${rounds} rounds of two fresh processes per client (${batch} jobs at once each; ours keeps its learned timings between the two), ${opts.sequential ? 'clients one after the other' : 'both clients at the same time'}…`);
      const runs = { cold: { ours: [], sdk: [] }, restart: { ours: [], sdk: [] } };
      let kept = 0;
      for (let round = 0; round < rounds; round++) {
        const stateDir = join(dir, `state-${variant}-${round}`);
        for (const [k, mode] of [[0, 'cold'], [1, 'restart']]) {
          const jobs = docs.slice((round * 2 + k) * batch, (round * 2 + k + 1) * batch);
          const spec = { docs: jobs, concurrency: batch, rateLimits: true, deadlineMs: 180_000 };
          const run = (client) => inChild(dir, { ...spec, client, stateDir: client === 'ours' ? stateDir : undefined });
          const [ours, sdk] = opts.sequential ? [await run('ours'), await run('sdk')] : await Promise.all([run('ours'), run('sdk')]);
          runs[mode].ours.push(ours);
          runs[mode].sdk.push(sdk);
          if (mode === 'cold') kept += await readFile(join(stateDir, 'poll-timings.json')).then(() => 1, () => 0);
        }
      }
      if (kept < rounds) report.note(`scenario 1 (${variant}): ${rounds - kept} of ${rounds} cold processes left no state file`);
      const v = { model: VARIANTS[variant] };
      for (const mode of ['cold', 'restart']) {
        if (!opts.modes1.includes(mode)) continue;
        const m = { ours: digest(pooled(runs[mode].ours), 0), sdk: digest(pooled(runs[mode].sdk), 0) };
        m.medianDelayRatio = ratio(m.ours.delay.median, m.sdk.delay.median);
        m.p90DelayRatio = ratio(m.ours.delay.p90, m.sdk.delay.p90);
        m.getsPerJobRatio = ratio(m.ours.getsPerJob, m.sdk.getsPerJob);
        const target = mode === 'cold' ? 0.8 : 0.5;
        m.pass = {
          delay: m.medianDelayRatio !== null && m.medianDelayRatio <= target,
          p90: mode === 'cold' ? m.p90DelayRatio !== null && m.p90DelayRatio <= 1 : null,
          gets: m.getsPerJobRatio !== null && m.getsPerJobRatio <= 2,
          allDelivered: m.ours.failed === 0 && m.sdk.failed === 0,
        };
        v[mode] = m;
        const label = `1 ${mode} (${variant})`;
        report.row(label, 'median delay after completion', ms(m.ours.delay.median), ms(m.sdk.delay.median), `ours ≤ ${target}× SDK`, m.pass.delay, `ratio ${num(m.medianDelayRatio)}`);
        report.row(label, 'p90 delay after completion', ms(m.ours.delay.p90), ms(m.sdk.delay.p90), mode === 'cold' ? 'ours ≤ SDK' : '—', m.pass.p90, mode === 'cold' ? `ratio ${num(m.p90DelayRatio)}` : undefined);
        report.row(label, 'mean GETs per job', num(m.ours.getsPerJob), num(m.sdk.getsPerJob), 'ours ≤ 2× SDK', m.pass.gets, `ratio ${num(m.getsPerJobRatio)}`);
        if (!m.pass.allDelivered) report.note(`scenario 1 (${mode}, ${variant}): failures — ours ${JSON.stringify(m.ours.errors)}, SDK ${JSON.stringify(m.sdk.errors)}`);
        for (const [who, d] of [['ours', m.ours], ['SDK', m.sdk]]) {
          if (d.status429.GET || d.status429.POST) report.note(`scenario 1 (${mode}, ${variant}, ${who}): the emulator answered 429 ${d.status429.POST}× to POST, ${d.status429.GET}× to GET`);
        }
      }
      results.variants[variant] = v;
    }
  } finally {
    await remove();
  }
  return results;
}

/** Runs one batch in a fresh node process (bench/s1-child.mjs) and returns its runJobs record. */
async function inChild(dir, spec) {
  const specPath = join(dir, `spec-${spec.client}-${process.hrtime.bigint()}.json`);
  await writeFile(specPath, JSON.stringify(spec));
  const child = spawnNode([join(ROOT, 'bench', 's1-child.mjs'), specPath], { cwd: ROOT });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`scenario 1 child (${spec.client}) exited ${code}: ${err.slice(-2000)}`);
  if (err.trim()) process.stderr.write(err);
  return JSON.parse(line.slice('RESULT '.length));
}

/** Several runs as one, for the digest: their jobs renumbered in order, their counts summed. */
function pooled(runs) {
  let index = 0;
  return {
    jobs: runs.flatMap((run) => run.jobs.map((j) => ({ ...j, index: index++ }))),
    wallMs: runs.reduce((t, run) => t + run.wallMs, 0),
    status429: { POST: runs.reduce((t, run) => t + run.status429.POST, 0), GET: runs.reduce((t, run) => t + run.status429.GET, 0) },
    retries: runs.some((run) => run.retries !== null) ? runs.reduce((t, run) => t + (run.retries ?? 0), 0) : null,
    pageMismatch: runs.flatMap((run) => run.pageMismatch),
    sdkRequestsRewritten: null,
  };
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
