/**
 * `mindee-mcp doctor`, the built CLI, against the emulator: a good setup passes, and a refused
 * key, an unreachable API, a missing directory or a bad setting each fail with what to fix —
 * and the key is never printed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from 'mindee-v2-emulator';
import { TEST_API_KEY, addSecret, recordOutput } from '../setup/secrets.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const WRONG_KEY = 'md_wrong_SECRET_9a8b7c6d5e4f3a2b1c0d';
addSecret(WRONG_KEY);

let emulator: Emulator;
let dir: string;
beforeAll(async () => {
  emulator = await startEmulator({ apiKey: TEST_API_KEY, processingMs: 0 });
  dir = await realpath(await mkdtemp(join(tmpdir(), 'mindee-mcp-doctor-')));
});
afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

function doctor(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'doctor', ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } }, (error, stdout, stderr) => {
      recordOutput('doctor stdout', stdout);
      recordOutput('doctor stderr', stderr);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, out: stdout });
    });
  });
}

describe('mindee-mcp doctor', () => {
  it('passes a working setup, and says which models the key sees', async () => {
    const { code, out } = await doctor([dir], { MINDEE_V2_API_KEY: TEST_API_KEY, MINDEE_V2_BASE_URL: emulator.url });
    expect(out).toContain(`✓ Node.js ${process.versions.node}`);
    expect(out).toContain(`✓ API reachable at ${emulator.url}`);
    expect(out).toMatch(/✓ Key accepted by the API: it sees \d+ models/);
    expect(out).toContain(`✓ Allowed directories: ${dir}.`);
    expect(out).toContain('Everything needed is in place.');
    expect(code).toBe(0);
  });

  it('fails on a key the API refuses, without printing it', async () => {
    const { code, out } = await doctor([dir], { MINDEE_V2_API_KEY: WRONG_KEY, MINDEE_V2_BASE_URL: emulator.url });
    expect(out).toContain('✓ API key: set, in the v2 format');
    expect(out).toContain('✗ Key refused by the API (HTTP 401)');
    expect(out).toContain('v1 keys do not work');
    expect(code).toBe(1);
  });

  it('fails on a key that is not a v2 key, and on a missing one', async () => {
    const wrongFormat = await doctor([dir], { MINDEE_V2_API_KEY: 'Bearer x', MINDEE_V2_BASE_URL: emulator.url });
    expect(wrongFormat.out).toContain('✗ API key: it starts with "Bearer"');
    expect(wrongFormat.code).toBe(1);
    const missing = await doctor([dir], { MINDEE_V2_BASE_URL: emulator.url });
    expect(missing.out).toContain('✗ API key: MINDEE_V2_API_KEY is not set.');
    expect(missing.out).toContain('- Key accepted by the API: not checked, no key is set.');
    expect(missing.code).toBe(1);
  });

  it('fails on an API it cannot reach, and does not try the key there', async () => {
    const { code, out } = await doctor([dir], { MINDEE_V2_API_KEY: TEST_API_KEY, MINDEE_V2_BASE_URL: 'http://127.0.0.1:9' });
    expect(out).toContain('✗ API not reachable at http://127.0.0.1:9 (ECONNREFUSED)');
    expect(out).toContain('→ Check MINDEE_V2_BASE_URL');
    expect(out).toContain('- Key accepted by the API: not checked');
    expect(code).toBe(1);
  });

  it('warns without allowed directories, fails on a missing one and on a bad setting', async () => {
    const none = await doctor([], { MINDEE_V2_API_KEY: TEST_API_KEY, MINDEE_V2_BASE_URL: emulator.url });
    expect(none.out).toContain('! Allowed directories: none');
    expect(none.code).toBe(0);
    const gone = await doctor([join(dir, 'gone')], { MINDEE_V2_API_KEY: TEST_API_KEY, MINDEE_V2_BASE_URL: emulator.url });
    expect(gone.out).toContain(`✗ Allowed directories: Allowed directory ${join(dir, 'gone')} does not exist`);
    expect(gone.code).toBe(1);
    const bad = await doctor([dir], { MINDEE_V2_API_KEY: TEST_API_KEY, MINDEE_MCP_MAX_WAIT: 'soon' });
    expect(bad.out).toContain('✗ Settings: they could not be read.');
    expect(bad.out).toContain('MINDEE_MCP_MAX_WAIT must be a number of seconds');
    expect(bad.code).toBe(1);
  });

  it('checks the rules file as the server would, naming the file, the rule and the fault', async () => {
    const good = join(dir, 'rules.yaml');
    await writeFile(good, 'invoice:\n  required: [invoice_number]\n');
    const ok = await doctor(['--emulator', '--rules', good, dir], {});
    expect(ok.out).toContain(`✓ Rules: ${good}, for invoice.`);
    expect(ok.code).toBe(0);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'invoice:\n  checks:\n    - { name: net, expr: "$sum((" }\n');
    const refused = await doctor(['--emulator', dir], { MINDEE_MCP_RULES: bad });
    expect(refused.out).toContain(`✗ Rules: ${bad}: invoice.checks.0 ("net").expr: not a valid JSONata expression`);
    expect(refused.code).toBe(1);
  });

  it('checks the in-process emulator with --emulator, no key needed', async () => {
    const { code, out } = await doctor(['--emulator', dir], {});
    expect(out).toContain('✓ API key: not needed with --emulator');
    expect(out).toMatch(/✓ Key accepted by the API: it sees \d+ models/);
    expect(code).toBe(0);
  });
});
