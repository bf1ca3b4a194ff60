/**
 * The emulator README's recipe for the official Node SDK (`mindee`), run as written against the
 * emulator: the code block is taken from the README, so the recipe a user copies is the one tested.
 * The undici it installs must be one the SDK takes (mindee 5.2.0: undici 6 or 7; with 8 the recipe
 * crashes at import on Node 20 and fails with "opts.dispatcher is not supported" on Node 22).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'packages/mindee-v2-emulator/README.md'), 'utf8');
const section = README.slice(README.indexOf('## Pointing the official SDKs'));
const json = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as { version: string; dependencies?: Record<string, string> };

describe('the emulator README’s recipe for the official Node SDK', () => {
  it('pins the undici major the SDK depends on, which is the one installed here', () => {
    const install = /npm install (mindee@[\d.]+) undici@(\d+)/.exec(section);
    expect(install, 'the recipe says which versions to install').not.toBeNull();
    const mindee = json('node_modules/mindee/package.json');
    expect(install![1]).toBe(`mindee@${mindee.version}`);
    const pinned = Number(install![2]);
    // mindee 5.2.0: ">=6.24.0 <7.0.0 || >=7.24.0 <8.0.0"
    const majors = [...mindee.dependencies!.undici!.matchAll(/>=(\d+)\./g)].map((m) => Number(m[1]));
    expect(majors).toContain(pinned);
    expect(Number(json('node_modules/undici/package.json').version.split('.')[0])).toBe(pinned);
  });

  it('runs as written: the SDK enqueues a document on the emulator and reads its fields', async () => {
    const block = /```js\n([\s\S]*?)```/.exec(section)![1]!;
    const code = block.replace(/^ {2}/gm, '');
    const work = await mkdtemp(join(tmpdir(), 'mindee-mcp-sdk-recipe-'));
    try {
      await writeFile(join(work, 'invoice.pdf'), makeSampleInvoicePdf());
      // Imports resolve from the repository (cwd), the document from the work directory.
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code.replace("'invoice.pdf'", JSON.stringify(join(work, 'invoice.pdf')))], {
        cwd: ROOT,
        timeout: 60_000,
      });
      expect(stdout.trim()).toBe('INV-2026-0042');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
