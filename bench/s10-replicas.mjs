// Scenario 10: three replicas, one Mindee organisation (issue 11). Three built servers
// (`node dist/cli.js` over stdio, driven by the SDK's Client) share one emulator that enforces
// Mindee's limits for the organisation (200 POST and 1 200 GET a minute); each is handed a
// third of the documents in one enqueue_documents call. With a shared Redis their budgets are
// one; without it each believes it has the whole organisation's.
import { createServer } from 'node:net';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_MODELS, startEmulator } from 'mindee-v2-emulator';
import { makePdf } from 'mindee-v2-emulator/samples';
import { connectServer, ms, redisServerPath, rng, startRedisServer, tempDir, trackCloser } from './lib.mjs';

const REPLICAS = 3;
const WINDOW_MS = 60_000;

export async function scenario10(opts, report) {
  const perReplica = opts.quick ? 20 : Math.ceil(opts.n10 / REPLICAS);
  const n = perReplica * REPLICAS;
  const { dir, remove } = await tempDir('mindee-bench-s10-');
  const results = { n, replicas: REPLICAS };
  try {
    const r = rng(7007);
    const processing = new Map();
    const folders = [];
    for (let k = 0; k < REPLICAS; k++) {
      const folder = join(dir, `replica-${k}`);
      await mkdir(folder);
      for (let i = 0; i < perReplica; i++) {
        const name = `r${k}-${String(i).padStart(3, '0')}.pdf`;
        processing.set(name, Math.round(5000 + 10000 * r()));
        await writeFile(join(folder, name), makePdf({ pages: [[`INVOICE ${name}`, 'Total amount: 100.00 EUR']] }));
      }
      folders.push(folder);
    }
    const variants = [['without Redis', null]];
    if (redisServerPath()) variants.unshift(['with Redis', 'redis']);
    else report.note('scenario 10: redis-server is not installed (apt-get install -y redis-server): only the run without Redis was measured.');
    for (const [label, kind] of variants) {
      report.progress(`scenario 10: ${REPLICAS} servers ${label}, ${n} documents (5–15 s each), one emulator with Mindee's organisation limits…`);
      const redis = kind ? await startRedisServer(await freePort()) : null;
      try {
        results[label] = await runReplicas({ folders, processing, redisUrl: redis?.url, perReplica });
      } finally {
        await redis?.stop();
      }
      const d = results[label];
      const row = `10 ${REPLICAS} replicas ${label}`;
      report.row(row, 'delivered / total', `${d.delivered} / ${n}`, '—', 'all', d.delivered === n);
      report.row(row, 'wall time', ms(d.wallMs), '—', '—', null);
      report.row(row, '429s answered by the emulator (POST+GET)', `${d.status429.POST}+${d.status429.GET}`, '—', kind ? 'none' : '—', kind ? d.status429.POST + d.status429.GET === 0 : null);
      report.row(row, 'busiest 60 s window (POST / GET)', `${d.busiest.POST} / ${d.busiest.GET}`, '—', '≤ 200 / ≤ 1200', kind ? d.busiest.POST <= 200 && d.busiest.GET <= 1200 : null);
      report.row(row, 'GETs per job', d.getsPerJob.toFixed(2), '—', '—', null);
    }
  } finally {
    await remove();
  }
  return results;
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

async function runReplicas({ folders, processing, redisUrl, perReplica }) {
  const emulator = await startEmulator({
    rateLimits: { postPerMinute: 200, getPerMinute: 1200 },
    processingMs: (info) => processing.get(info.filename) ?? 5000,
  });
  const closeEmulator = trackCloser(() => emulator.close());
  const servers = [];
  try {
    for (let i = 0; i < folders.length; i++) {
      servers.push(
        await connectServer({
          MINDEE_V2_BASE_URL: emulator.url,
          MINDEE_V2_API_KEY: emulator.apiKey,
          MINDEE_MCP_LOG_LEVEL: 'warn',
          MINDEE_MCP_ALLOWED_DIRS: folders.join(':'),
          ...(redisUrl ? { MINDEE_MCP_REDIS_URL: redisUrl } : {}),
        }),
      );
    }
    const started = Date.now();
    const outcomes = await Promise.all(
      servers.map((s, k) =>
        s.client
          .callTool(
            { name: 'enqueue_documents', arguments: { model_id: DEMO_MODELS.invoice, file_paths: [folders[k]], max_wait_seconds: 590, detail: 'values', max_chars: 2000 } },
            undefined,
            { timeout: 620_000, resetTimeoutOnProgress: true },
          )
          .then((res) => res.structuredContent?.counts ?? { processed: 0 }),
      ),
    );
    const wallMs = Date.now() - started;
    const status429 = { POST: 0, GET: 0 };
    let gets = 0;
    for (const q of emulator.requests) {
      if (q.status === 429) status429[q.method === 'POST' ? 'POST' : 'GET']++;
      else if (q.method === 'GET') gets++;
    }
    const delivered = outcomes.reduce((t, c) => t + c.processed, 0);
    return {
      delivered,
      wallMs,
      status429,
      busiest: { POST: busiest(emulator.requests, 'POST'), GET: busiest(emulator.requests, 'GET') },
      getsPerJob: gets / Math.max(1, delivered),
      perReplica,
    };
  } finally {
    for (const s of servers) await s.close();
    await closeEmulator();
  }
}

function busiest(requests, method) {
  const times = requests.filter((q) => q.method === method && q.authorized).map((q) => q.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= WINDOW_MS) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}
