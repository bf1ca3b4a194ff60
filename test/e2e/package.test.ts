/**
 * The npm package as a user gets it: `npm pack` of the server and of what it needs at run time,
 * installed alone into an empty directory (offline: every tarball is made here), then started
 * the way hosts start it, `npx mindee-mcp`. Nothing of the checkout — no dev dependency, no
 * workspace link — is within reach of the installed server.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { installOffline, packProduction, userEnv, type PackResult } from '../../scripts/packaging.mjs';
import { connectStdio, runDemoFlow } from '../helpers/flow.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, any>;

let work: string;
let project: string;
let docs: string;
let packed: PackResult;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it first).');
  work = await realpath(await mkdtemp(join(tmpdir(), 'mindee-mcp-pack-')));
  project = join(work, 'project');
  docs = join(work, 'docs');
  await Promise.all([mkdir(join(work, 'tarballs')), mkdir(project), mkdir(docs)]);
  await writeFile(join(docs, 'invoice.pdf'), makeSampleInvoicePdf());
  const result = packProduction(join(work, 'tarballs'));
  packed = result.server;
  installOffline(project, result.tarballs);
}, 120_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the bundled CLI, its licences and the changelog: no sources, tests, benchmarks or source maps', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('CHANGELOG.md');
    expect(files).toContain('dist/THIRD_PARTY_LICENSES.txt');
    expect(files).toContain('LICENSE');
    // The review view (ui://mindee/review.html), one self-contained file.
    expect(files).toContain('dist/review.html');
    for (const file of files) expect(file).toMatch(/^(dist\/cli\.js|dist\/chunks\/[\w.-]+\.js|dist\/THIRD_PARTY_LICENSES\.txt|dist\/review\.html|CHANGELOG\.md|README\.md|LICENSE|package\.json)$/);
  });

  it('declares what hosts and registries read', () => {
    expect(pkg.bin).toEqual({ 'mindee-mcp': 'dist/cli.js' });
    expect(pkg.engines.node).toMatch(/^>=20\./);
    expect(pkg.mcpName).toMatch(/^[a-z0-9.-]+\/[a-z0-9._-]+$/);
    expect(pkg.exports).toEqual({ './package.json': './package.json' });
  });

  it('installs with its run-time dependencies alone', () => {
    const installed = readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.')).sort();
    expect(installed).toEqual(['mindee-mcp', 'mindee-v2-emulator', 'undici', 'zod']);
    for (const ours of ['mindee-mcp', 'mindee-v2-emulator']) expect(readFileSync(join(project, 'node_modules', ours, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('npx mindee-mcp --version prints the installed version', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no', '--', 'mindee-mcp', '--version'], { cwd: project, env: userEnv() });
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('npx mindee-mcp --emulator answers initialize and runs the demo flow', async () => {
    const s = await connectStdio({
      command: 'npx',
      args: ['--no', '--', 'mindee-mcp', '--emulator', docs],
      cwd: project,
      env: { MINDEE_MCP_EMULATOR_PROCESSING_MS: '100' },
    });
    try {
      expect(s.client.getServerVersion()).toMatchObject({ name: 'mindee-mcp', version: pkg.version });
      await runDemoFlow(s.client, join(docs, 'invoice.pdf'));
      // The review view ships with the package, found beside the bundle.
      const view = await s.client.readResource({ uri: 'ui://mindee/review.html' });
      expect(view.contents[0]).toMatchObject({ mimeType: 'text/html;profile=mcp-app', text: expect.stringMatching(/^<!doctype html>/) });
    } finally {
      await s.close();
    }
  });
});
