import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };

const SRC = new URL('../src/', import.meta.url);

describe('the package stands alone', () => {
  it('imports only its own modules, Node built-ins and its declared dependencies', async () => {
    const allowed = new Set(Object.keys(pkg.dependencies));
    const strays: string[] = [];
    for (const name of await readdir(SRC)) {
      if (!name.endsWith('.ts')) continue;
      const source = await readFile(new URL(name, SRC), 'utf8');
      const statics = source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gm);
      const dynamics = source.matchAll(/\bimport\(\s*'([^']+)'/g);
      for (const [, specifier = ''] of [...statics, ...dynamics]) {
        const own = /^\.\/[\w-]+\.js$/.test(specifier);
        const builtin = specifier.startsWith('node:');
        const dependency = allowed.has(specifier.split('/')[0] ?? '');
        if (!own && !builtin && !dependency) strays.push(`${name}: ${specifier}`);
      }
    }
    expect(strays).toEqual([]);
  });
});
