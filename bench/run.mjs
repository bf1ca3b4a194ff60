// `npm run bench`: our Mindee client and MCP server against the official `mindee` Node SDK,
// on the project's local Mindee v2 emulator. A benchmark, not a test: it prints what it
// measured, with the targets, and writes everything to bench-results/.
//
//   npm run bench                       every scenario
//   npm run bench -- --only 3           one scenario (or --only 1,4; --only tokens is 6)
//   npm run bench -- --sequential       scenarios 1–2: run the two clients one after the other
//   npm run bench -- --quick            small sizes, to check the bench itself works
//   npm run bench -- --only 1 --modes1 cold,restart --variants1 pages
//                                       scenario 1 from fresh processes only, one mix
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, cleanupAll, killChildrenNow } from './lib.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    sequential: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    n1: { type: 'string' },
    warmup1: { type: 'string' },
    concurrency1: { type: 'string' },
    variants1: { type: 'string' },
    modes1: { type: 'string' },
    rounds1: { type: 'string' },
    batch1: { type: 'string' },
    n2: { type: 'string' },
    mb3: { type: 'string' },
    n4: { type: 'string' },
    n5: { type: 'string' },
    n8: { type: 'string' },
    n10: { type: 'string' },
    n11: { type: 'string' },
    n12: { type: 'string' },
    n7: { type: 'string' },
    n14: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('Usage: npm run bench -- [--only 1,…,14|tokens|push|http|pacing|replicas|throughput|waiting|verify|labelled] [--sequential] [--quick] [--n1 40] [--warmup1 8] [--concurrency1 8] [--variants1 pages,uniform,mix] [--modes1 warm,cold,restart] [--rounds1 4] [--batch1 8] [--n2 200] [--mb3 95] [--n4 300] [--n5 10] [--n7 40] [--n8 300] [--n10 300] [--n11 3000] [--n12 1000] [--n14 240]');
  process.exit(0);
}
const int = (v, d) => (v === undefined ? d : Number.parseInt(v, 10));
const quick = values.quick;
const opts = {
  sequential: values.sequential,
  n1: int(values.n1, quick ? 8 : 40),
  warmup1: int(values.warmup1, quick ? 2 : 8),
  concurrency1: int(values.concurrency1, quick ? 4 : 8),
  variants1: (values.variants1 ?? 'pages,uniform,mix').split(',').map((s) => s.trim()),
  modes1: (values.modes1 ?? 'warm,cold,restart').split(',').map((s) => s.trim()),
  rounds1: int(values.rounds1, quick ? 1 : 4),
  batch1: int(values.batch1, quick ? 4 : 8),
  n2: int(values.n2, quick ? 20 : 200),
  mb3: int(values.mb3, quick ? 20 : 95),
  n4: int(values.n4, quick ? 50 : 300),
  n5: int(values.n5, quick ? 3 : 10),
  n7: int(values.n7, quick ? 10 : 40),
  n8: int(values.n8, quick ? 50 : 300),
  n10: int(values.n10, quick ? 60 : 300),
  n11: int(values.n11, quick ? 300 : 3000),
  n12: int(values.n12, quick ? 100 : 1000),
  n14: int(values.n14, quick ? 40 : 240),
  quick,
};
const SCENARIOS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
const SCENARIO_NAMES = { tokens: 6, push: 7, http: 8, pacing: 9, replicas: 10, throughput: 11, waiting: 12, verify: 13, labelled: 14 };
const scenarioOf = (s) => SCENARIO_NAMES[s] ?? Number(s);
const only = values.only ? new Set(values.only.split(',').map((s) => scenarioOf(s.trim()))) : new Set(SCENARIOS);
for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`--only: no scenario ${s} (1–14, tokens, push, http, pacing, replicas, throughput, waiting, verify or labelled)`);
for (const v of opts.variants1) if (!['pages', 'uniform', 'mix'].includes(v)) throw new Error(`--variants1: no variant ${v}`);
for (const m of opts.modes1) if (!['warm', 'cold', 'restart'].includes(m)) throw new Error(`--modes1: no mode ${m}`);

// Every child and server is cleaned up however the run ends.
process.on('exit', killChildrenNow);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: cleaning up…\n`);
    cleanupAll().finally(() => process.exit(130));
  });
}

const versionOf = (dir) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')).version;
const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  mindeeSdk: versionOf('node_modules/mindee'),
  undici: versionOf('node_modules/undici'),
  mcpSdk: versionOf('node_modules/@modelcontextprotocol/sdk'),
  ours: versionOf('.'),
};

const rows = [];
const notes = [];
const line = (s = '') => process.stdout.write(`${s}\n`);
const report = {
  progress: (s) => line(`\n» ${s}`),
  note: (s) => {
    notes.push(s);
    line(`  note: ${s}`);
  },
  row: (scenario, metric, ours, sdk, target, pass, extra) => {
    const row = { scenario, metric, ours, sdk, target: extra ? `${target} (${extra})` : target, pass };
    rows.push(row);
    line(`  ${scenario} | ${metric} | ours: ${ours} | SDK: ${sdk} | target: ${row.target} | ${passText(pass)}`);
  },
};
const passText = (p) => (p === true ? 'PASS' : p === false ? 'FAIL' : '—');

line(`# mindee-mcp benchmark${quick ? ' (QUICK: reduced sizes, not the real figures)' : ''}`);
line(`Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.totalMemGiB} GiB, ${machine.platform}; Node ${machine.node}`);
line(`Compared: mindee-mcp ${machine.ours} (built dist/) vs the official SDK mindee ${machine.mindeeSdk} with its default polling (first poll after 2 s, then every 1.5 s, at most 80 polls); undici ${machine.undici}, @modelcontextprotocol/sdk ${machine.mcpSdk}.`);
line('Emulator: the project\'s local Mindee v2 emulator, on 127.0.0.1. The SDK is pointed at it with an undici dispatcher that rewrites its https://api-v2.mindee.net origin (see bench/lib.mjs).');
line(`Scenarios: ${[...only].sort().join(', ')}`);

const results = {};
const errors = [];
const scenarios = {
  1: async () => (await import('./s1-latency.mjs')).scenario1(opts, report),
  2: async () => (await import('./s2-burst.mjs')).scenario2(opts, report),
  3: async () => (await import('./s3-memory.mjs')).scenario3(opts, report),
  4: async () => (await import('./s4-overhead.mjs')).scenario4(opts, report),
  5: async () => (await import('./s5-coldstart.mjs')).scenario5(opts, report),
  6: async () => (await import('./s6-tokens.mjs')).scenario6(opts, report),
  7: async () => (await import('./s7-push.mjs')).scenario7(opts, report),
  8: async () => (await import('./s8-http.mjs')).scenario8(opts, report),
  9: async () => (await import('./s9-pacing.mjs')).scenario9(opts, report),
  10: async () => (await import('./s10-replicas.mjs')).scenario10(opts, report),
  11: async () => (await import('./s11-throughput.mjs')).scenario11(opts, report),
  12: async () => (await import('./s12-waiting.mjs')).scenario12(opts, report),
  13: async () => (await import('./s13-verify.mjs')).scenario13(opts, report),
  14: async () => (await import('./s14-labelled.mjs')).scenario14(opts, report),
};
const began = Date.now();
for (const s of SCENARIOS) {
  if (!only.has(s)) continue;
  const t = Date.now();
  try {
    results[s] = await scenarios[s]();
    results[s].seconds = (Date.now() - t) / 1000;
  } catch (error) {
    errors.push({ scenario: s, error: String(error?.stack ?? error) });
    report.row(`${s}`, 'scenario failed to run', '—', '—', '—', false, String(error?.message ?? error).slice(0, 200));
    process.stderr.write(`scenario ${s} failed: ${error?.stack ?? error}\n`);
  } finally {
    await cleanupAll();
  }
}
const totalSeconds = (Date.now() - began) / 1000;

line('\n## Results\n');
line(`Machine: ${machine.cpus} cores (${machine.cpuModel}), Node ${machine.node}, ${machine.platform}. Total bench time ${totalSeconds.toFixed(0)} s.`);
if (only.has(1) && opts.modes1.includes('warm')) {
  line(`Scenario 1: per client ${opts.warmup1} warm-up + ${opts.n1} measured jobs, ${opts.concurrency1} at once, same documents in the same order for both clients, Mindee's rate limits on; ${opts.sequential ? 'clients run one after the other' : 'the two clients run at the same time, each on its own in-process emulator'}. Processing models: "pages" = pages × 1 s ± 10 % (pages 1–20); "uniform" = 1–20 s regardless of pages. Delay = caller has the result − emulator marked the job finished (one clock).`);
}
if (only.has(1) && opts.modes1.some((m) => m !== 'warm')) {
  line(`Scenario 1, cold and restart: ${opts.rounds1} rounds; in each, per client, a fresh node process runs ${opts.batch1} jobs at once and exits (cold: ours has learned nothing), then another fresh process runs ${opts.batch1} other jobs (restart: ours starts from the state directory the cold one wrote; the SDK keeps nothing). No warm-up; every job counts. Rounds pooled.`);
}
if (only.has(2)) line(`Scenario 2: ${opts.n2} documents at once per client, processing 5–30 s uniform, Mindee's limits (200 POST/min, 1200 GET/min) on, each client on its own emulator.`);
if (only.has(3)) line(`Scenario 3: one ${opts.mb3} MiB PDF, emulator in its own process, each client in a fresh child process; peak = process.resourceUsage().maxRSS.`);
if (only.has(4)) line(`Scenario 4: ${opts.n4} calls of each kind, alternating, on one processed job; emulator in the bench process, rate limits off.`);
if (only.has(5)) line(`Scenario 5: median of ${opts.n5} spawns of the installed package's dist/cli.js (npm pack + npm install into an empty directory; dummy key, base URL with nothing listening).`);
if (only.has(6)) line('Scenario 6: tools/list of node dist/cli.js with its default settings, in cl100k tokens (js-tiktoken); each tool as compact JSON.');
if (only.has(7)) line(`Scenario 7: ${opts.n7} jobs, processing 1–5 s, 5 at once, the same jobs pushed by the emulator's signed webhooks to a loopback receiver, then polled; rate limits off.`);
if (only.has(8)) line(`Scenario 8: ${opts.n8} get_job_status calls over each transport, alternating, on one processed job; both servers are children, the emulator is in the bench process.`);
if (only.has(9)) line('Scenario 9: our client alone, one process, documents dropped at once (100 × 20 s, 200 × 5 s), Mindee’s limits on; delay as in scenario 1. The third pacing goal of issue 11 is scenario 1\'s uniform variant.');
if (only.has(10)) line(`Scenario 10: 3 built servers over stdio, ${opts.n10} documents split between them (5–15 s each), one emulator enforcing Mindee’s limits for the whole organisation, with one shared Redis and without.`);
if (only.has(11)) line(`Scenario 11: ${opts.n11} requests a round, 32 connections, 3 rounds alternating; ours is the built server with token auth (warnings-only log), beside a bare v2 SDK server (createMcpHandler, no auth, the same tools/list JSON); the median round's rate, and each server's median CPU time per request (user + system, /proc): the figure that holds on a machine shared with other work.`);
if (only.has(12)) line(`Scenario 12: ${opts.n12} enqueue_document calls waiting at once over HTTP (SSE, progress every 2.5 s) on one built server, jobs held by the emulator until all are waiting; RSS of the server process; tools/list timed meanwhile.`);
if (only.has(13)) line('Scenario 13: a 200-line invoice verified in process (built-in checks and every confidence) beside its unverified view; get_inference_result over stdio without a review, with a verdict made anew, and with the verdict kept.');
if (only.has(14)) line(`Scenario 14: ${opts.n14} invoices and receipts made with the emulator's generator, a quarter with one planted error; each through our client (confidence and polygon on) and verified as the tools do; a document is flagged by a check when it has an issue other than low confidence.`);
line('');
line('| scenario | metric | ours | official SDK | target | pass/fail |');
line('|---|---|---|---|---|---|');
for (const r of rows) line(`| ${r.scenario} | ${r.metric} | ${r.ours} | ${r.sdk} | ${r.target} | ${passText(r.pass)} |`);
if (notes.length) {
  line('\nNotes:');
  for (const n of notes) line(`- ${n}`);
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const out = { date: new Date().toISOString(), quick, machine, options: { ...opts, only: [...only] }, totalSeconds, rows, notes, errors, results };
const dir = join(ROOT, 'bench-results');
await mkdir(dir, { recursive: true });
const text = `${JSON.stringify(out, null, 2)}\n`;
await writeFile(join(dir, `bench-${stamp}.json`), text);
await writeFile(join(dir, 'latest.json'), text);
line(`\nWritten: bench-results/bench-${stamp}.json and bench-results/latest.json`);
process.exitCode = errors.length ? 1 : 0;
