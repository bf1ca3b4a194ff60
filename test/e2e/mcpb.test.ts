/**
 * The MCPB bundle as Claude Desktop uses it: built by `npm run pack:mcpb` (its script, once for
 * this file), unpacked by the official mcpb CLI into an empty directory, its `mcp_config` filled
 * in as a host does (`${__dirname}`, `${user_config.*}`, a multiple value becoming one argument
 * per item), and that command run over stdio. An empty key means the emulator, as its form says.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { userEnv } from '../../scripts/packaging.mjs';
import { connectStdio, runDemoFlow } from '../helpers/flow.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MCPB = realpathSync(join(ROOT, 'node_modules/.bin/mcpb'));
const run = promisify(execFile);

let work: string;
let unpacked: string;
let docs: string;
let packReport: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it first).');
  work = await realpath(await mkdtemp(join(tmpdir(), 'mindee-mcp-mcpb-test-')));
  unpacked = join(work, 'unpacked');
  docs = join(work, 'docs');
  await Promise.all([mkdir(unpacked), mkdir(docs)]);
  await writeFile(join(docs, 'invoice.pdf'), makeSampleInvoicePdf());
  const bundle = join(work, 'mindee-mcp.mcpb');
  packReport = (await run(process.execPath, [join(ROOT, 'scripts/pack-mcpb.mjs'), bundle], { cwd: ROOT, env: userEnv() })).stdout;
  await run(process.execPath, [MCPB, 'unpack', bundle, unpacked]);
}, 180_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** What a host does with `${…}` in mcp_config. */
function substitute(values: Record<string, string | string[]>, dirname: string) {
  const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
  const one = (text: string) =>
    text.replaceAll('${__dirname}', dirname).replace(/\$\{user_config\.([a-z_]+)\}/g, (_, key: string) => {
      const value = values[key] ?? manifest.user_config[key]?.default ?? '';
      return Array.isArray(value) ? value.join(' ') : String(value);
    });
  const { command, args, env } = manifest.server.mcp_config as { command: string; args: string[]; env: Record<string, string> };
  return {
    manifest,
    command,
    args: args.flatMap((arg) => {
      const whole = /^\$\{user_config\.([a-z_]+)\}$/.exec(arg);
      const value = whole ? values[whole[1]!] : undefined;
      return Array.isArray(value) ? value : [one(arg)];
    }),
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, one(v)])),
  };
}

describe('the MCPB bundle', () => {
  it('is built from the package and reports its size', () => {
    expect(packReport).toMatch(/mindee-mcp\.mcpb: \d+\.\d\d MB \(\d+ bytes\)/);
  });

  it('has a manifest the official CLI validates, at the package version, with the form the issue asks for', async () => {
    const { stdout } = await run(process.execPath, [MCPB, 'validate', join(unpacked, 'manifest.json')]);
    expect(stdout).toContain('passes');
    const { manifest } = substitute({}, unpacked);
    expect(manifest.manifest_version).toBe('0.3');
    expect(manifest.version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    expect(manifest.user_config.api_key).toMatchObject({ type: 'string', sensitive: true, required: false });
    expect(manifest.user_config.api_key.description).toContain('empty');
    expect(manifest.user_config.api_key.description).toContain('emulator');
    expect(manifest.user_config.allowed_directories).toMatchObject({ type: 'directory', multiple: true });
    expect(manifest.user_config.model_aliases.type).toBe('string');
    expect(manifest.user_config.max_wait).toMatchObject({ type: 'number', default: 40 });
  });

  it('holds the server with its run-time dependencies only', () => {
    const modules = readdirSync(join(unpacked, 'server', 'node_modules')).filter((n) => !n.startsWith('.')).sort();
    expect(modules).toEqual(['mindee-mcp', 'mindee-v2-emulator', 'undici', 'zod']);
    expect(existsSync(join(unpacked, 'server/node_modules/zod/src'))).toBe(false);
  });

  it('carries the MIT licence of the server, at its root and in each of our packages', () => {
    for (const path of ['LICENSE', 'server/node_modules/mindee-mcp/LICENSE', 'server/node_modules/mindee-v2-emulator/LICENSE']) {
      expect(readFileSync(join(unpacked, path), 'utf8'), path).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} mindee-mcp contributors/);
    }
  });

  it('runs its mcp_config over stdio: with an empty key, the demo flow against the emulator', async () => {
    const config = substitute({ api_key: '', allowed_directories: [docs], model_aliases: '', max_wait: '30' }, unpacked);
    expect(config.args).toEqual([join(unpacked, 'server/node_modules/mindee-mcp/dist/cli.js'), docs]);
    const s = await connectStdio({
      command: config.command === 'node' ? process.execPath : config.command,
      args: config.args,
      env: { ...config.env, MINDEE_MCP_EMULATOR_PROCESSING_MS: '100' },
      cwd: work,
    });
    try {
      await runDemoFlow(s.client, join(docs, 'invoice.pdf'));
    } finally {
      await s.close();
    }
    expect(s.stderr()).toContain('the local emulator');
  });
});
