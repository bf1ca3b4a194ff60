/**
 * The README's first commands are what a reader runs first: they must work from a clone today,
 * while the package is not on npm (an `npx -y mindee-mcp` there fails on a fresh machine).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };

describe('README', () => {
  it('leads with what works from a clone: install, the demo on the emulator, the tests — no npx of the unpublished package', () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const commands = first.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
    expect(commands.join('\n')).not.toMatch(/npx -y mindee-mcp/);
    expect(commands).toContain('npm ci');
    expect(commands.some((c) => c.startsWith('npx vitest run'))).toBe(true);
    expect(commands).toContain('npm test');
    for (const c of commands) {
      const script = /^npm run (\S+)/.exec(c)?.[1];
      if (script) expect(pkg.scripts, c).toHaveProperty(script);
      if (c.startsWith('node ')) expect(c.split(' ')[1]).toBe(pkg.bin['mindee-mcp']);
    }
    expect(pkg.scripts.demo).toMatch(/emulator|demo\.mjs/);
  });

  it('marks the host sections’ npx form as for after publishing', () => {
    const hosts = readme.slice(readme.indexOf('## Host configuration'));
    expect(hosts.slice(0, 400)).toMatch(/npx -y mindee-mcp`, which works \*\*after publishing\*\*/);
  });
});
