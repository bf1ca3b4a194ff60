// Shared helpers of the benchmark: statistics, a seeded generator, document generation, the
// undici dispatcher that points the official SDK at an emulator, and the clean-up registry that
// makes sure no child process or server outlives the run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Agent } from 'undici';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
export const CLI = join(DIST, 'cli.js');
/** The origin the official SDK always talks to (v5.2.0 builds `https://${host}` itself). */
export const MINDEE_ORIGIN = 'https://api-v2.mindee.net';

// ---- numbers -------------------------------------------------------------------------------

/** mulberry32: a small deterministic PRNG, values in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Quantile by linear interpolation between closest ranks (q in 0..1). */
export function quantile(values, q) {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function summary(values) {
  if (values.length === 0) return { n: 0, median: null, p90: null, mean: null, min: null, max: null };
  return {
    n: values.length,
    median: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

export const ms = (v, digits = 0) => (v === null || v === undefined ? 'n/a' : `${v.toFixed(digits)} ms`);
export const num = (v, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(digits));
export const ratio = (a, b) => (a === null || b === null || b === 0 ? null : a / b);

// ---- clean-up ------------------------------------------------------------------------------

const children = new Set();
const pids = new Set();
const closers = new Set();

/** Registers a process started by someone else (e.g. StdioClientTransport), killed by pid if still alive at the end. */
export function trackPid(pid) {
  if (pid) pids.add(pid);
}

export function untrackPid(pid) {
  pids.delete(pid);
}

/** Registers a child process: it is killed if the run ends (or fails) while it still runs. */
export function trackChild(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Registers something with an async close(); returns a function that closes and unregisters it. */
export function trackCloser(close) {
  const entry = { close, done: false };
  closers.add(entry);
  return async () => {
    if (entry.done) return;
    entry.done = true;
    closers.delete(entry);
    await close();
  };
}

/** Closes everything still open and kills every child still running (each by its own pid). */
export async function cleanupAll() {
  for (const entry of [...closers].reverse()) {
    entry.done = true;
    closers.delete(entry);
    await Promise.resolve()
      .then(entry.close)
      .catch(() => {});
  }
  killChildrenNow();
}

export function killChildrenNow() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
  for (const pid of pids) {
    try {
      process.kill(pid, 0);
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
}

/**
 * An MCP client connected over stdio to `node dist/cli.js` with `env`. The server is killed by
 * pid if the run ends before `close()`; `stderr()` is the tail of what it logged.
 */
export async function connectServer(env) {
  // The bench's emulator jobs teach nothing worth keeping in the user's cache directory.
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI], env: { MINDEE_MCP_STATE_DIR: 'off', ...env }, stderr: 'pipe' });
  const client = new Client({ name: 'mindee-mcp-bench', version: '1.0.0' });
  let serverPid = null;
  const close = trackCloser(async () => {
    await client.close();
    untrackPid(serverPid);
  });
  const tail = [];
  transport.stderr?.on('data', (c) => tail.push(c) > 50 && tail.shift());
  try {
    await client.connect(transport);
  } catch (error) {
    await close();
    throw error;
  }
  serverPid = transport.pid;
  trackPid(serverPid);
  return { client, close, stderr: () => Buffer.concat(tail).toString() };
}

/** A fresh temporary directory, removed by `remove()` or, if the run is cut short, by cleanupAll. */
export async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const remove = trackCloser(() => rm(dir, { recursive: true, force: true }));
  return { dir, remove };
}

/** Spawns `node args…` and tracks it. */
export function spawnNode(args, options = {}) {
  return trackChild(spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options }));
}

/** Waits for a child to exit; kills it (SIGKILL) after `timeoutMs`. */
export async function waitExit(child, timeoutMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    await once(child, 'exit');
  } finally {
    clearTimeout(timer);
  }
}

// ---- the official SDK ----------------------------------------------------------------------

/**
 * mindee 5.2.0's v2 client always sends to `https://${MINDEE_V2_API_HOST || 'api-v2.mindee.net'}`
 * and refuses non-https result URLs, so an env var cannot point it at an http emulator. Its
 * ClientOptions take a `dispatcher`: this one is a plain undici Agent (what its default global
 * dispatcher is) with an interceptor that sends every request to `targetOrigin` instead. The
 * emulator it talks to writes `https://api-v2.mindee.net` into polling_url/result_url
 * (publicBaseUrl), so the SDK's https check passes and its result GET is rewritten too.
 */
export function sdkDispatcher(targetOrigin) {
  const rewritten = { count: 0, foreign: 0 };
  const agent = new Agent();
  const dispatcher = agent.compose((dispatch) => (opts, handler) => {
    rewritten.count++;
    if (new URL(String(opts.origin)).origin !== MINDEE_ORIGIN) rewritten.foreign++;
    return dispatch({ ...opts, origin: targetOrigin }, handler);
  });
  return { dispatcher, rewritten, close: () => agent.close() };
}

// ---- documents -----------------------------------------------------------------------------

/** Writes one small, valid PDF per spec ({name, pages}) into dir; returns their paths. */
export async function writeDocs(dir, specs, makePdf) {
  await mkdir(dir, { recursive: true });
  const paths = [];
  for (const spec of specs) {
    const pages = Array.from({ length: spec.pages }, (_, i) => [`INVOICE ${spec.name}`, `Page ${i + 1} of ${spec.pages}`, 'Total amount: 100.00 EUR']);
    const path = join(dir, `${spec.name}.pdf`);
    await writeFile(path, makePdf({ pages }));
    paths.push(path);
  }
  return paths;
}

/**
 * Writes a valid one-page PDF of exactly `totalBytes` bytes, streamed to disk in 1 MiB chunks:
 * catalog, pages, page, font, content, and an unreferenced padding stream of high bytes
 * (0x80–0xFF: no PDF keyword can appear in it), then a correct xref table and trailer.
 */
export async function writeLargePdf(path, totalBytes) {
  const out = createWriteStream(path);
  let written = 0;
  const write = async (chunk) => {
    written += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  const offsets = [];
  const obj = async (n, body) => {
    offsets[n] = written;
    await write(Buffer.from(`${n} 0 obj\n${body}\nendobj\n`, 'latin1'));
  };
  const text = 'BT /F1 12 Tf 56 786 Td (Large benchmark document) Tj ET';
  await write(Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'));
  await obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  await obj(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  await obj(3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>');
  await obj(4, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  await obj(5, `<< /Length ${text.length} >>\nstream\n${text}\nendstream`);
  // The tail (xref + trailer) has a bounded size; size the padding so the file is exact.
  const tailFor = (xrefAt) =>
    `xref\n0 7\n0000000000 65535 f \n${offsets
      .slice(1)
      .map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)
      .join('')}trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  offsets[6] = written;
  const head6 = (len) => `6 0 obj\n<< /Length ${len} >>\nstream\n`;
  const foot6 = '\nendstream\nendobj\n';
  // Fixed-width length so the header size does not depend on the value.
  let padLen = 0;
  for (let i = 0; i < 3; i++) {
    const guessXref = written + head6(String(padLen).padStart(10, '0')).length + padLen + foot6.length;
    padLen = totalBytes - written - head6('0000000000').length - foot6.length - tailFor(guessXref).length;
  }
  if (padLen < 0) throw new Error('totalBytes is too small');
  await write(Buffer.from(head6(String(padLen).padStart(10, '0')), 'latin1'));
  const random = rng(95);
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = 0x80 + Math.floor(random() * 128);
  let left = padLen;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    await write(n === chunk.length ? chunk : chunk.subarray(0, n));
    left -= n;
  }
  await write(Buffer.from(foot6, 'latin1'));
  await write(Buffer.from(tailFor(written), 'latin1'));
  out.end();
  await once(out, 'finish');
  return written;
}

// ---- misc ----------------------------------------------------------------------------------

/** Runs `task(item, index)` over items with at most `limit` running at once, in order. */
export async function pool(items, limit, task) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i], i);
    }
  });
  await Promise.all(workers);
}

// ---- redis ---------------------------------------------------------------------------------

/** Debian's redis-server, if installed. */
export function redisServerPath() {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin']) {
    const candidate = join(dir, 'redis-server');
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** A throw-away redis-server on `port`, nothing persisted; stopped by cleanupAll if the run is cut short. */
export async function startRedisServer(port) {
  const { dir, remove } = await tempDir('mindee-bench-redis-');
  const child = trackChild(spawn(redisServerPath(), ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => (out += c) && out.includes('Ready to accept connections') && resolve());
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: trackCloser(async () => {
      child.kill('SIGKILL');
      await waitExit(child);
      await remove();
    }),
  };
}
