/**
 * Each setting is declared once (src/settings/): the README's table and --help are made from the
 * declarations, and a declared default is the one the parser applies.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCommand, SETTINGS, settingsTable, USAGE, type SettingDeclaration } from '../src/config.js';

const DECLARED: Array<[string, SettingDeclaration]> = Object.entries(SETTINGS);

describe('settings declared once', () => {
  it('the README settings table is the one the declarations make (run npm run readme:settings)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('<!-- settings:start');
    const end = readme.indexOf('<!-- settings:end -->');
    expect(start).toBeGreaterThan(0);
    const table = readme.slice(readme.indexOf('\n', start) + 1, end).trim();
    expect(table).toBe(settingsTable());
  });

  it('declares each variable and flag once, and --help lists every variable', () => {
    const envs = DECLARED.map(([, d]) => d.env);
    expect(new Set(envs).size).toBe(envs.length);
    const flags = DECLARED.flatMap(([, d]) => (d.flag ? [d.flag] : []));
    expect(new Set(flags).size).toBe(flags.length);
    for (const env of envs) expect(USAGE).toContain(env);
    for (const flag of flags) expect(USAGE).toContain(`--${flag}`);
  });

  it('a declared default is the one the schema applies', () => {
    for (const [key, d] of DECLARED) {
      if (d.default === undefined) continue;
      const parsed = d.schema.safeParse(undefined);
      expect(parsed.success, key).toBe(true);
      const value = parsed.data;
      expect(typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value), key).toBe(d.default);
    }
  });

  it('a secret has no flag: read from the environment only', () => {
    for (const [key, d] of DECLARED) if (d.secret) expect(d.flag, key).toBeUndefined();
  });

  it('every declared flag is read into its setting', () => {
    const values: Record<string, string> = { 'base-url': 'https://example.com', model: '11111111-1111-4111-8111-111111111111', 'state-dir': '/tmp/x', 'upload-dir': '/tmp/u', transport: 'http', auth: 'none', 'log-level': 'warn', 'log-format': 'json', 'min-confidence': 'low', 'redis-url': 'redis://localhost:6379', 'rate-scope': 'org', 'public-url': 'https://mcp.example.com', 'allowed-hosts': 'mcp.example.com', models: 'inv=11111111-1111-4111-8111-111111111111', rules: '/tmp/rules.json', 'webhook-port': '9000', 'max-result-chars': '3000' };
    for (const [key, d] of DECLARED) {
      if (!d.flag) continue;
      const argv = d.arg === undefined ? [`--${d.flag}`] : [`--${d.flag}`, values[d.flag] ?? '7'];
      const env = d.flag === 'webhook-port' ? { MINDEE_WEBHOOK_SECRET: 'whsec-test-secret' } : {};
      const command = parseCommand(argv, env);
      expect(command.kind, key).toBe('serve');
      const config = (command as { config: Record<string, unknown> }).config;
      expect(config[key], key).not.toBeUndefined();
      const unset = (parseCommand([], env) as { config: Record<string, unknown> }).config[key];
      expect(config[key], `${key} is read from --${d.flag}`).not.toEqual(unset);
    }
  });

  it('--help promises nothing the server does not do (no "upload links")', () => {
    expect(USAGE).not.toMatch(/upload links/);
  });
});
