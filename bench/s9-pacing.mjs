// Scenario 9: enqueue at the speed the limits allow (issue 11). One process, our client only,
// against an emulator with Mindee's limits (200 POST and 1 200 GET a minute): documents dropped
// at once are all enqueued within the window, and the GETs that follow stay within the limit.
// The third pacing goal of the issue (uniform 1–20 s jobs: median delay ≤ 0.5× the SDK's at
// ≤ 2× its GETs) is scenario 1's "uniform" variant.
import { makePdf } from 'mindee-v2-emulator/samples';
import { runJobs } from './jobs.mjs';
import { ms, summary, tempDir, writeDocs } from './lib.mjs';

export const CASES = [
  { n: 100, processingMs: 20_000, wallTarget: 26_000, p90Target: null },
  { n: 200, processingMs: 5_000, wallTarget: 70_000, p90Target: 2_000 },
];

export async function scenario9(opts, report) {
  const results = {};
  const { dir, remove } = await tempDir('mindee-bench-s9-');
  try {
    for (const c of CASES) {
      const n = opts.quick ? Math.ceil(c.n / 10) : c.n;
      const label = `9 pacing ${n} × ${c.processingMs / 1000} s`;
      const specs = Array.from({ length: n }, (_, i) => ({ name: `s6-${c.processingMs}-${String(i).padStart(3, '0')}`, pages: 1 }));
      const paths = await writeDocs(dir, specs, makePdf);
      const docs = specs.map((s, i) => ({ ...s, path: paths[i], processingMs: c.processingMs }));
      report.progress(`scenario 9: ${n} documents of ${c.processingMs / 1000} s dropped at once, one process, Mindee's limits on…`);
      const run = await runJobs({ client: 'ours', docs, concurrency: n, rateLimits: true, deadlineMs: 300_000 });
      const ok = run.jobs.filter((j) => j.ok);
      const errors = {};
      for (const j of run.jobs) if (!j.ok) errors[j.error] = (errors[j.error] ?? 0) + 1;
      const surfaced429 = errors['HTTP 429'] ?? 0;
      const delay = summary(ok.map((j) => j.delayMs));
      const r = {
        n,
        processingMs: c.processingMs,
        wallMs: run.wallMs,
        delivered: ok.length,
        errors,
        status429: run.status429,
        delay,
        getsPerJob: ok.length ? ok.reduce((a, j) => a + j.gets, 0) / ok.length : null,
        timeline: run.timeline,
      };
      r.pass = { wall: run.wallMs <= c.wallTarget && ok.length === n, no429: surfaced429 === 0, p90: c.p90Target === null ? null : delay.p90 !== null && delay.p90 <= c.p90Target };
      results[`${n}x${c.processingMs}`] = r;
      report.row(label, 'wall time, all delivered', `${ms(run.wallMs)} (${ok.length}/${n})`, '—', `≤ ${c.wallTarget / 1000} s`, opts.quick ? null : r.pass.wall);
      report.row(label, '429s surfaced / answered by the emulator (POST+GET)', `${surfaced429} / ${run.status429.POST}+${run.status429.GET}`, '—', 'none surfaced', r.pass.no429);
      report.row(label, 'median / p90 delay after completion', `${ms(delay.median)} / ${ms(delay.p90)}`, '—', c.p90Target === null ? '—' : `p90 ≤ ${c.p90Target / 1000} s`, opts.quick ? null : r.pass.p90);
      report.row(label, 'GETs per job', r.getsPerJob === null ? 'n/a' : r.getsPerJob.toFixed(2), '—', '—', null);
      report.note(`scenario 9 (${n} × ${c.processingMs / 1000} s): requests reaching the emulator per 10 s (GET/POST): ${run.timeline.map((b) => `${b.get}/${b.post}`).join(' ')}`);
    }
  } finally {
    await remove();
  }
  return results;
}
