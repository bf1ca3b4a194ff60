// Scenario 3: peak memory of uploading a 95 MiB PDF. The emulator runs in its own process
// (`node dist/cli.js emulator`), each client in its own fresh child that uploads the file once.
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CLI, num, ratio, spawnNode, waitExit, writeLargePdf, tempDir } from './lib.mjs';

const CHILD = fileURLToPath(new URL('./upload-child.mjs', import.meta.url));
const MiB = 1024 * 1024;

export async function scenario3(opts, report) {
  const { dir, remove } = await tempDir('mindee-bench-s3-');
  let emulator;
  try {
    const file = join(dir, 'large-95mb.pdf');
    const size = await writeLargePdf(file, opts.mb3 * MiB);
    if ((await stat(file)).size !== size) throw new Error('the large PDF was not written whole');
    report.progress(`scenario 3: uploading a ${opts.mb3} MiB PDF (${size} bytes) once per client, each in a fresh child process…`);

    emulator = spawnNode([CLI, 'emulator', '--port', '0', '--no-rate-limit', '--processing-ms', 'Infinity'], {
      env: { ...process.env, MINDEE_MCP_LOG_LEVEL: 'error' },
    });
    const stderr = [];
    emulator.stderr.on('data', (c) => stderr.push(c));
    const url = await new Promise((resolve, reject) => {
      const rl = createInterface({ input: emulator.stdout });
      const timer = setTimeout(() => reject(new Error(`the emulator did not start: ${Buffer.concat(stderr)}`)), 10_000);
      rl.once('line', (line) => {
        clearTimeout(timer);
        const m = /listening on (\S+) \(API key: ([^)]+)\)/.exec(line);
        if (!m) reject(new Error(`unexpected emulator line: ${line}`));
        else resolve({ url: m[1], key: m[2] });
      });
      emulator.once('exit', (code) => reject(new Error(`the emulator exited (${code}): ${Buffer.concat(stderr)}`)));
    });

    const runs = {};
    for (const which of ['ours', 'sdk']) runs[which] = await runChild(which, file, url.url, url.key);
    const res = {
      fileBytes: size,
      ours: runs.ours,
      sdk: runs.sdk,
      peakRatio: ratio(runs.ours.peakRss, runs.sdk.peakRss),
      growthRatio: ratio(runs.ours.peakRss - runs.ours.rssBefore, runs.sdk.peakRss - runs.sdk.rssBefore),
    };
    res.pass = res.peakRatio !== null && res.peakRatio <= 0.5;
    const mib = (b) => `${num(b / MiB, 1)} MiB`;
    report.row(`3 upload ${opts.mb3} MiB PDF`, 'peak RSS of the uploading process (maxRSS)', mib(runs.ours.peakRss), mib(runs.sdk.peakRss), 'ours ≤ 0.5× SDK', res.pass, `ratio ${num(res.peakRatio)}`);
    report.row(`3 upload ${opts.mb3} MiB PDF`, 'RSS before upload → growth to peak', `${mib(runs.ours.rssBefore)} → +${mib(runs.ours.peakRss - runs.ours.rssBefore)}`, `${mib(runs.sdk.rssBefore)} → +${mib(runs.sdk.peakRss - runs.sdk.rssBefore)}`, '—', null);
    report.row(`3 upload ${opts.mb3} MiB PDF`, 'upload time (prepare + POST until 202)', `${num(runs.ours.uploadMs, 0)} ms`, `${num(runs.sdk.uploadMs, 0)} ms`, '—', null);
    return res;
  } finally {
    if (emulator) {
      emulator.kill('SIGTERM');
      await waitExit(emulator, 5000);
    }
    await remove();
  }
}

async function runChild(which, file, url, key) {
  const child = spawnNode([CHILD, which, file, url, key], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
  const out = [];
  const err = [];
  child.stdout.on('data', (c) => out.push(c));
  child.stderr.on('data', (c) => err.push(c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  const text = Buffer.concat(out).toString().trim();
  if (code !== 0 || !text) throw new Error(`the ${which} upload child failed (exit ${code}): ${Buffer.concat(err).toString().slice(-2000)}`);
  return JSON.parse(text.split('\n').pop());
}
