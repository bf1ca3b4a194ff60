// `npm run readme:settings`: writes the README's settings table from the declarations in
// src/settings/ (between the settings markers). test/settings.test.ts fails when it is stale.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const START = '<!-- settings:start (npm run readme:settings writes this table from src/settings/) -->';
const END = '<!-- settings:end -->';

const dir = mkdtempSync(join(tmpdir(), 'readme-settings-'));
try {
  await build({
    input: { help: 'src/settings/help.ts' },
    cwd: root,
    platform: 'node',
    external: [/^node:/, /^mindee-v2-emulator(\/|$)/, /^undici(\/|$)/],
    logLevel: 'warn',
    output: { dir, format: 'esm' },
    write: true,
  });
  const { settingsTable } = await import(pathToFileURL(join(dir, 'help.js')).href);
  const file = join(root, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no settings markers (${START} … ${END}).`);
  const next = `${readme.slice(0, start + START.length)}\n${settingsTable()}\n${readme.slice(end)}`;
  if (next === readme) process.stderr.write('README.md: the settings table is up to date.\n');
  else {
    writeFileSync(file, next);
    process.stderr.write('README.md: settings table written.\n');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
