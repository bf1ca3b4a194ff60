// `npm run pack:mcpb [-- output.mcpb]`: the MCPB bundle for Claude Desktop. The bundle holds
// mcpb/manifest.json (and mcpb/.mcpbignore) and, under server/, the npm package installed with its run-time
// dependencies only, exactly as `npm install mindee-mcp` would lay them (scripts/packaging.mjs):
// nothing is downloaded, at build time or when Claude Desktop runs it. The official mcpb CLI
// (a dev dependency) validates the manifest and packs. dist/ must be built first.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT, installOffline, packProduction } from './packaging.mjs';

const started = performance.now();
const output = resolve(process.argv[2] ?? join(ROOT, 'mindee-mcp.mcpb'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(ROOT, 'mcpb/manifest.json'), 'utf8'));
if (manifest.version !== pkg.version) {
  throw new Error(`mcpb/manifest.json says version ${manifest.version}, package.json ${pkg.version}: make them one.`);
}
if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first.');

// The CLI of the installed dev dependency, run by this node: never fetched.
const mcpb = (...args) =>
  execFileSync(process.execPath, [realpathSync(join(ROOT, 'node_modules/.bin/mcpb')), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const work = mkdtempSync(join(tmpdir(), 'mindee-mcp-mcpb-'));
try {
  const bundle = join(work, 'bundle');
  mkdirSync(join(bundle, 'server'), { recursive: true });
  mkdirSync(join(work, 'tarballs'));
  installOffline(join(bundle, 'server'), packProduction(join(work, 'tarballs')).tarballs, ['--omit=dev']);
  copyFileSync(join(ROOT, 'mcpb/manifest.json'), join(bundle, 'manifest.json'));
  copyFileSync(join(ROOT, 'mcpb/.mcpbignore'), join(bundle, '.mcpbignore'));
  copyFileSync(join(ROOT, 'README.md'), join(bundle, 'README.md'));
  copyFileSync(join(ROOT, 'LICENSE'), join(bundle, 'LICENSE'));
  mcpb('validate', join(bundle, 'manifest.json'));
  rmSync(output, { force: true });
  mcpb('pack', bundle, output);
} finally {
  rmSync(work, { recursive: true, force: true });
}
const size = statSync(output).size;
process.stdout.write(`${output}: ${(size / 1024 / 1024).toFixed(2)} MB (${size} bytes), built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
