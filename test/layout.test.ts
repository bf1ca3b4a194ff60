/**
 * Modules stay small enough to read whole: no file of src/ over 400 lines (issue 21), the shared
 * state's Lua scripts (src/state/redis/lua/) included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', 'src');
const MAX_LINES = 400;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.(ts|lua)$/.test(e.name) ? [join(dir, e.name)] : []));
}

describe('layout', () => {
  it(`has no module of src/ over ${MAX_LINES} lines`, () => {
    const over = files(ROOT)
      .map((file) => ({ file: relative(ROOT, file).split('\\').join('/'), lines: (readFileSync(file, 'utf8').match(/\n/g) ?? []).length }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(over, 'split these by job').toEqual([]);
  });
});
