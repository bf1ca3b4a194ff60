// What a user installs, made from this checkout: `npm pack` of the server, and of every package
// it needs at run time as this checkout has them (the emulator workspace, undici, zod…), then an
// `npm install` of those tarballs alone into an empty directory. The install runs --offline: every
// package comes from a tarball made here, so neither a test nor `npm run pack:mcpb` needs the network.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The environment of a user's shell: no npm settings inherited from an `npm run` or `npm test` around us. */
export function userEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, env: userEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** The folders of the run-time dependencies of the package in `dir`, transitively. */
function productionClosure(dir, seen = new Map()) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    if (seen.has(name)) continue;
    const nested = join(dir, 'node_modules', name);
    const found = existsSync(nested) ? nested : join(ROOT, 'node_modules', name);
    if (!existsSync(found)) throw new Error(`${name} (a dependency of ${pkg.name}) is not installed: run npm ci first.`);
    seen.set(name, found);
    productionClosure(found, seen);
  }
  return seen;
}

/**
 * Packs the server (dist/ must be built) and its run-time dependencies into `dest`, without
 * running any package script. Returns the tarballs and what `npm pack` reported of the server's.
 */
export function packProduction(dest) {
  const dirs = [ROOT, ...productionClosure(ROOT).values()];
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest, ...dirs], ROOT));
  return { tarballs: packed.map((p) => join(dest, p.filename)), server: packed[0] };
}

/** Installs `tarballs` into the empty directory `dir` as a user's project would, offline. */
export function installOffline(dir, tarballs, extraArgs = []) {
  writeFileSync(join(dir, 'package.json'), '{"private": true}\n');
  npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', ...extraArgs, ...tarballs], dir);
}
