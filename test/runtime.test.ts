/**
 * createRuntime, the one start-up routine of the CLI, the doctor and the harnesses: with
 * --emulator it talks to an emulator of its own (never with the real key), the clock handed in
 * is the one the connection and the tools keep time by, and close ends what it started.
 */
import { describe, expect, it } from 'vitest';
import { parseCommand, type Config } from '../src/config.js';
import { createRuntime } from '../src/runtime.js';
import { ManualClock } from './helpers/manual-clock.js';
import { TEST_API_KEY } from './setup/secrets.js';

function configOf(argv: string[], env: Record<string, string> = {}): Config {
  const command = parseCommand(argv, env);
  if (command.kind !== 'serve') throw new Error('expected serve');
  return command.config;
}

describe('createRuntime', () => {
  it('with --emulator: its own emulator, its demo models as aliases, the clock handed in', async () => {
    const clock = new ManualClock();
    const lines: string[] = [];
    const runtime = await createRuntime(configOf(['--emulator', '--state-dir', 'off'], { MINDEE_V2_API_KEY: TEST_API_KEY }), { clock, log: { write: (l) => lines.push(l) } });
    try {
      expect(runtime.apiKey).not.toBe(TEST_API_KEY);
      expect(runtime.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(runtime.settings.models.aliases.invoice).toMatch(/^[0-9a-f-]{36}$/);
      expect(runtime.connection.clock).toBe(clock);
      expect(runtime.timings).toBeUndefined();
      const models = await runtime.connection.client(runtime.apiKey).searchModels({ perPage: 5 });
      expect(models.models.length).toBeGreaterThan(0);
    } finally {
      await runtime.close();
    }
    expect(lines.join('\n')).not.toContain(TEST_API_KEY);
  });

  it('refuses a bad rules file at start, naming it', async () => {
    await expect(createRuntime(configOf(['--state-dir', 'off', '--rules', '/nonexistent/rules.json']), { log: { write: () => {} } })).rejects.toThrow(/MINDEE_MCP_RULES: cannot read the rules file/);
  });
});
