/**
 * The shared state's Lua scripts (src/state/redis/lua/), as node-redis runs them: every one
 * compiles on a real Redis, after the prelude they all share, and one Redis has forgotten (a
 * restart, SCRIPT FLUSH) is sent again by its text without Redis counting as lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import prelude from '../../../src/state/redis/lua/prelude.lua';
import { SCRIPTS } from '../../../src/state/redis/scripts.js';
import { hasRedis, redisForFile } from '../../helpers/redis.js';

const shared = redisForFile();

describe.skipIf(!hasRedis)('the Lua scripts of the shared state', () => {
  beforeAll(shared.setup);
  afterAll(shared.teardown);

  it('each compiles on Redis, the shared prelude first', async () => {
    const [link] = await shared.links(1);
    expect(Object.keys(SCRIPTS).length).toBeGreaterThan(20);
    for (const [name, source] of Object.entries(SCRIPTS)) {
      expect(source.startsWith(prelude), name).toBe(true);
      await expect(link!.command(['SCRIPT', 'LOAD', source]), name).resolves.toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it('runs a script Redis has forgotten by its text, and Redis stays up', async () => {
    const [link] = await shared.links(1);
    await link!.command(['SCRIPT', 'FLUSH']);
    expect(await link!.command(['SCRIPT', 'EXISTS', '0'.repeat(40)])).toEqual([0]);
    expect(Number(await link!.eval('heartbeat', [link!.processesKey], [link!.id, String(link!.aliveMs)]))).toBeGreaterThanOrEqual(1);
    expect(link!.up).toBe(true);
  });
});
