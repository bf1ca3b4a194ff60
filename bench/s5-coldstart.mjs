// Scenario 5: cold start: from spawning `node dist/cli.js` (a dummy key, a base URL nothing
// listens on, no emulator) to the `initialize` response on its stdout. The request is written
// at once: the time is the process start, the module loading and the MCP handshake.
import { createInterface } from 'node:readline';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { CLI, ms, spawnNode, summary, waitExit } from './lib.mjs';

export async function scenario5(opts, report) {
  const runs = opts.n5;
  report.progress(`scenario 5: cold start, ${runs} measured runs (after 1 discarded run that warms the disk cache)…`);
  const times = [];
  for (let i = 0; i <= runs; i++) {
    const t = await once();
    if (i > 0) times.push(t);
  }
  // For scale: a bare `node` that writes one byte, spawned the same way.
  const bare = [];
  for (let i = 0; i <= runs; i++) {
    const t = await bareNode();
    if (i > 0) bare.push(t);
  }
  const res = { runs, discardedFirst: true, times, stats: summary(times), bareNode: summary(bare) };
  res.pass = res.stats.median <= 300;
  report.row('5 cold start', 'spawn → initialize response (median / p90)', `${ms(res.stats.median)} / ${ms(res.stats.p90)}`, 'n/a (the SDK is a library, not a server)', '≤ 300 ms', res.pass);
  report.row('5 cold start', 'for scale: bare `node -e` spawn → first stdout byte (median)', ms(res.bareNode.median), '—', '—', null);
  return res;
}

async function bareNode() {
  const t0 = performance.now();
  const child = spawnNode(['-e', 'process.stdout.write("x")'], { env: { PATH: process.env.PATH } });
  try {
    await new Promise((resolve, reject) => {
      child.stdout.once('data', resolve);
      child.once('exit', (code) => reject(new Error(`bare node exited (${code}) without output`)));
    });
    return performance.now() - t0;
  } finally {
    await waitExit(child, 5000);
  }
}

async function once() {
  const init = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mindee-mcp-bench', version: '1.0.0' } },
  };
  const t0 = performance.now();
  const child = spawnNode([CLI], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      MINDEE_V2_API_KEY: 'md_bench_dummy_key',
      MINDEE_V2_BASE_URL: 'http://127.0.0.1:9',
      MINDEE_MCP_LOG_LEVEL: 'error',
      MINDEE_MCP_STATE_DIR: 'off',
    },
  });
  child.stdin.write(`${JSON.stringify(init)}\n`);
  const err = [];
  child.stderr.on('data', (c) => err.push(c));
  try {
    return await new Promise((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      const timer = setTimeout(() => reject(new Error('no initialize response within 10 s')), 10_000);
      rl.on('line', (line) => {
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          return;
        }
        if (msg.id !== 1) return;
        clearTimeout(timer);
        if (msg.result?.serverInfo) resolve(performance.now() - t0);
        else reject(new Error(`initialize failed: ${line.slice(0, 300)}`));
      });
      child.once('exit', (code) => reject(new Error(`the server exited (${code}) before answering: ${Buffer.concat(err).toString().slice(-1000)}`)));
    });
  } finally {
    child.stdin.end();
    await waitExit(child, 5000);
  }
}
