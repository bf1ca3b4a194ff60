// The build: src/ bundled by rolldown into dist/ — the CLI and, lazily loaded, the chunks only a
// tool call needs. Hosts spawn the server at every start, and Node 20 spends most of a cold start
// resolving and compiling the few hundred files of the MCP SDK and zod: one bundle loads in a
// fraction of that. undici and the emulator stay dependencies, loaded on first use.
// Type checking is `npm run typecheck` (tsc), which the tests run too.
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { buildView } from './build-view.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
rmSync(join(root, 'dist'), { recursive: true, force: true });
const options = {
  cwd: root,
  platform: 'node',
  external: [/^node:/, /^mindee-v2-emulator(\/|$)/, /^undici(\/|$)/],
  // The MCP SDK's Node shim with a light JSON Schema validator (scripts/sdk-shims.mjs): Ajv stays out.
  resolve: { alias: { '@modelcontextprotocol/server/_shims': join(root, 'scripts/sdk-shims.mjs') } },
  // The shared state's Lua scripts (src/state/redis/lua/) are strings in the bundle.
  moduleTypes: { '.lua': 'text' },
  logLevel: 'warn',
  write: true,
};
const { output } = await build({
  ...options,
  input: { cli: 'src/cli.ts' },
  output: { dir: 'dist', format: 'esm', chunkFileNames: 'chunks/[name]-[hash].js', comments: { legal: true } },
});
// The benchmark drives the client, the verdict (scenario 13) and the webhook route (scenario 7)
// directly. A build of their own, with chunks of their own, so that the CLI's chunks are cut for
// the CLI alone (one more entry in its build would split them further and slow its cold start);
// none of it is published (see "files").
await build({
  ...options,
  input: {
    'client/mindee-client': 'src/client/mindee-client.ts',
    'client/inputs': 'src/client/inputs.ts',
    'state/timings': 'src/state/timings.ts',
    'verify/index': 'src/verify/index.ts',
    'results/inference': 'src/results/inference.ts',
    'http/listener': 'src/http/listener.ts',
    'http/webhooks': 'src/http/webhooks.ts',
    log: 'src/log.ts',
  },
  output: { dir: 'dist', format: 'esm', chunkFileNames: 'bench-chunks/[name]-[hash].js' },
});
chmodSync(join(root, 'dist/cli.js'), 0o755);
// The review view (ui://mindee/review.html): its own browser bundle, pdf.js inside.
const view = await buildView();
writeFileSync(join(root, 'dist/THIRD_PARTY_LICENSES.txt'), notices([...output.flatMap((o) => o.moduleIds ?? []), ...view.moduleIds]));
process.stderr.write(`mindee-mcp: built dist/ in ${Math.round(performance.now() - started)} ms\n`);

/** The licence of every package whose code the bundle carries: bundling redistributes it. */
function notices(moduleIds) {
  const packages = new Map();
  for (const id of moduleIds) {
    const m = /^(.*\/node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(id.replaceAll('\\', '/'));
    if (m) packages.set(m[2], m[1]);
  }
  return [...packages]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, dir]) => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
      const text = file && existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').trim() : `License: ${pkg.license ?? 'see the package'}`;
      return `${name}@${pkg.version}\n${'-'.repeat(name.length + pkg.version.length + 1)}\n${text}\n`;
    })
    .join('\n');
}
