// Scenario 11: what the HTTP path costs per request, side by side with a bare v2 SDK server
// (bench/bare-server.mjs: `createMcpHandler`, no auth, the same five tool definitions). Ours is
// the built server, `--transport http --auth token`. 32 connections, requests back to back:
// tools/list, and the pipeline of a tool call (auth, dispatch, an unknown-tool answer), each in
// both protocol eras (2025: no envelope; 2026-07-28: the `_meta` envelope and its headers).
// Rounds alternate ours and the bare server; the rate is the median round. Beside the rate, each
// server's CPU time per request (user + system, from /proc on Linux): on a machine shared with
// other work the rates move with the load, the CPU a request costs far less.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startEmulator } from 'mindee-v2-emulator';
import { CLI, ROOT, num, tempDir, trackChild, trackCloser } from './lib.mjs';

const TOKEN = 'bench-token-0123456789abcdef0123';
const CONNECTIONS = 32;
const MODERN = '2026-07-28';

export async function scenario11(opts, report) {
  const perRound = opts.n11;
  const rounds = opts.quick ? 1 : 3;
  report.progress(`scenario 11: ${perRound} requests a round over ${CONNECTIONS} connections, ${rounds} rounds each, ours (token auth) and a bare createMcpHandler server…`);
  const emulator = await startEmulator({ rateLimits: false, processingMs: 0 });
  trackCloser(() => emulator.close());
  const tmp = await tempDir('mindee-mcp-bench-s11-');
  const port = await freePort();
  const ours = await startChild([CLI, '--transport', 'http', '--port', String(port), '--auth', 'token'], {
    MINDEE_V2_BASE_URL: emulator.url,
    MINDEE_V2_API_KEY: emulator.apiKey,
    MINDEE_MCP_HTTP_TOKENS: TOKEN,
    // Warnings only: a request log line per request is the operator's choice, not the pipeline's.
    MINDEE_MCP_LOG_LEVEL: 'warn',
    MINDEE_MCP_MAX_CONCURRENT_CALLS: '1000',
  }, null, 'stderr', `http://127.0.0.1:${port}/mcp`);
  const dispatcher = new Agent({ connections: CONNECTIONS, pipelining: 1 });
  trackCloser(() => dispatcher.close());
  const auth = { authorization: `Bearer ${TOKEN}` };
  // The same tools/list JSON for the bare server.
  const listed = await post(dispatcher, ours.url, auth, body('tools/list', 'legacy'), 'legacy');
  await writeFile(join(tmp.dir, 'tools.json'), JSON.stringify(listed.result));
  const bare = await startChild([join(ROOT, 'bench/bare-server.mjs'), join(tmp.dir, 'tools.json')], {}, /(http:\/\/\S+\/mcp)/, 'stdout');
  const res = {};
  try {
    for (const era of ['legacy', 'modern']) {
      for (const [kind, make] of [
        ['tools/list', () => body('tools/list', era)],
        ['tool call (unknown tool)', () => body('tools/call', era, { name: 'no_such_tool', arguments: {} })],
      ]) {
        const rates = { ours: [], bare: [] };
        const cpu = { ours: [], bare: [] };
        await load(dispatcher, ours.url, auth, make, era, Math.min(200, perRound)); // warm-up
        await load(dispatcher, bare.url, {}, make, era, Math.min(200, perRound));
        for (let r = 0; r < rounds; r++) {
          for (const [name, server, headers] of [['ours', ours, auth], ['bare', bare, {}]]) {
            const before = cpuMs(server.child.pid);
            rates[name].push(await load(dispatcher, server.url, headers, make, era, perRound));
            const after = cpuMs(server.child.pid);
            if (before !== null && after !== null) cpu[name].push((after - before) / perRound);
          }
        }
        const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const o = med(rates.ours);
        const b = med(rates.bare);
        const target = kind === 'tools/list' ? 0.9 : 0.8;
        const key = `${era} ${kind}`;
        res[key] = { ours: o, bare: b, ratio: o / b, rounds: rates, cpuMsPerRequest: cpu };
        const label = `${key}${era === 'modern' ? ` (${MODERN})` : ' (2025)'}`;
        report.row('11 HTTP throughput', `${label}, requests/s`, `${num(o, 0)} /s`, `bare createMcpHandler: ${num(b, 0)} /s`, `≥ ${target}× bare`, o / b >= target, `ratio ${num(o / b)}`);
        if (cpu.ours.length > 0 && cpu.bare.length > 0) {
          const co = med(cpu.ours);
          const cb = med(cpu.bare);
          res[key].cpu = { ours: co, bare: cb, ratio: cb / co };
          // The same goal, as the rate a core would reach: bare's CPU per request over ours.
          report.row('11 HTTP throughput', `${label}, server CPU per request`, `${num(co, 3)} ms`, `bare createMcpHandler: ${num(cb, 3)} ms`, `≥ ${target}× bare's rate per core`, cb / co >= target, `ratio ${num(cb / co)}`);
        }
      }
    }
    return res;
  } finally {
    ours.child.kill('SIGTERM');
    bare.child.kill('SIGTERM');
    await tmp.remove();
  }
}

/** A process's CPU time so far (user + system), in ms; null where /proc is not there. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

function body(method, era, params = {}) {
  const _meta = era === 'modern'
    ? { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} }
    : undefined;
  return { method, params: { ...params, ...(_meta ? { _meta } : {}) } };
}

let ids = 0;
async function post(dispatcher, url, headers, message, era) {
  const res = await request(url, {
    dispatcher,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(era === 'modern' ? { 'mcp-protocol-version': MODERN, 'mcp-method': message.method, ...(message.params.name ? { 'mcp-name': message.params.name } : {}) } : {}),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++ids, ...message }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${text.slice(0, 300)}`);
  const data = text.startsWith('{') ? text : text.split('\n').find((l) => l.startsWith('data: '))?.slice(6);
  return JSON.parse(data);
}

/** `count` requests, 32 in flight: the rate in requests a second. */
async function load(dispatcher, url, headers, make, era, count) {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      const answer = await post(dispatcher, url, headers, make(), era);
      if (!answer.result && !answer.error) throw new Error(`no answer: ${JSON.stringify(answer).slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return count / ((performance.now() - t0) / 1000);
}

export async function freePort() {
  const server = createNetServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Spawns a server; its URL is printed (`urlPattern`), or known (`known`, once /healthz answers). */
export async function startChild(args, env, urlPattern, stream, known) {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  child.stdout.resume();
  if (known) {
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`${args[0]} exited (${child.exitCode})`);
      const ok = await request(known.replace(/\/mcp$/, '/healthz')).then((r) => r.body.text().then(() => r.statusCode === 200), () => false);
      if (ok) return { child, url: known };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${args[0]} did not answer /healthz`);
  }
  const url = await new Promise((resolve, reject) => {
    let seen = '';
    child[stream].on('data', (c) => {
      seen += c;
      const m = urlPattern.exec(seen);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}): ${seen.slice(-500)}`)));
  });
  return { child, url };
}
