/**
 * MCP tasks on Redis across processes, against a real redis-server (one per test): several
 * stores on one Redis play several replicas. A task made on one is read, listed and ended on
 * another; its end reaches the listeners of every process, even one that missed the news; and
 * while Redis is away every call fails at once with a clear error.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StateUnavailableError } from '../../../src/state/errors.js';
import type { SharedState } from '../../../src/state/index.js';
import { createRedisState } from '../../../src/state/redis/index.js';
import { RedisLink } from '../../../src/state/redis/link.js';
import { RedisTaskStore } from '../../../src/state/redis/task-store.js';
import type { EndStatus } from '../../../src/state/task-store.js';
import { hasRedis, logged, startRedis, type RedisServer } from '../../helpers/redis.js';

const init = { ttl: 60_000, pollInterval: 1000 };
const open: Array<{ close(): Promise<void> } | RedisServer> = [];

afterEach(async () => {
  for (const item of open.splice(0).reverse()) await ('stop' in item ? item.stop() : item.close());
});

async function redis(): Promise<RedisServer> {
  const server = await startRedis();
  open.push(server);
  return server;
}

/** A process's shared state on this Redis, with its log lines. */
async function processOn(server: RedisServer): Promise<{ state: SharedState; lines: string[] }> {
  const lines: string[] = [];
  const log = { warn: (m: string) => lines.push(`warn: ${m}`), info: (m: string) => lines.push(`info: ${m}`) };
  const state = await createRedisState({ url: server.url, log, commandTimeoutMs: 300 });
  open.push(state);
  return { state, lines };
}

/** A task store on its own link, not listening to the ends others announce: a process that missed them. */
async function deafStore(server: RedisServer, lines: string[]): Promise<RedisTaskStore> {
  const link = new RedisLink({ url: server.url, commandTimeoutMs: 300, log: { warn: (m) => lines.push(`warn: ${m}`), info: (m) => lines.push(`info: ${m}`) } });
  await link.connect();
  open.push(link);
  return new RedisTaskStore(link);
}

const endOf = (store: SharedState['tasks'], taskId: string) => new Promise<EndStatus>((resolve) => store.onEnd(taskId, resolve));

describe.skipIf(!hasRedis)('MCP tasks on Redis, across processes', () => {
  it('reads, lists and cancels on one process a task made on another, whose wait hears of it', async () => {
    const server = await redis();
    const a = (await processOn(server)).state.tasks;
    const b = (await processOn(server)).state.tasks;
    const task = await a.create('alice', { ...init, statusMessage: 'Sending' });
    const heardOnA = endOf(a, task.taskId);
    expect(await b.get('alice', task.taskId)).toEqual(task);
    expect((await b.list('alice')).tasks).toEqual([task]);
    expect(await b.get('bob', task.taskId)).toBeNull();
    expect(await b.update('alice', task.taskId, { statusMessage: 'Processing' })).toMatchObject({ statusMessage: 'Processing' });
    expect((await a.get('alice', task.taskId))?.statusMessage).toBe('Processing');

    expect(await b.end('alice', task.taskId, 'cancelled', '{"isError":true}', 'Cancelled')).toBe(true);
    expect(await heardOnA).toBe('cancelled');
    // The task's own process finds it ended: its result does not replace the cancel.
    expect(await a.end('alice', task.taskId, 'completed', '{"done":true}')).toBe(false);
    expect(await a.result('alice', task.taskId)).toBe('{"isError":true}');
    expect(await a.get('alice', task.taskId)).toMatchObject({ status: 'cancelled', statusMessage: 'Cancelled' });
  });

  it('ends a task once when several processes end it at once, and every process hears it once', async () => {
    const server = await redis();
    const [a, b, c] = await Promise.all([processOn(server), processOn(server), processOn(server)]).then((ps) => ps.map((p) => p.state.tasks));
    const tasks = await Promise.all(Array.from({ length: 20 }, () => a!.create('o', init)));
    const heard = { a: vi.fn(), c: vi.fn() };
    const allHeardOnC = Promise.all(tasks.map((t) => endOf(c!, t.taskId)));
    // A hears the ends B won over pub/sub, which may come after C heard them all.
    const allHeardOnA = Promise.all(tasks.map((t) => endOf(a!, t.taskId)));
    for (const t of tasks) a!.onEnd(t.taskId, heard.a);
    for (const t of tasks) c!.onEnd(t.taskId, heard.c);
    const ends = await Promise.all(tasks.flatMap((t) => [a!.end('o', t.taskId, 'completed', '"a"'), b!.end('o', t.taskId, 'cancelled', '"b"')]));
    expect(ends.filter(Boolean)).toHaveLength(20);
    await Promise.all([allHeardOnC, allHeardOnA]);
    expect(heard.a).toHaveBeenCalledTimes(20);
    expect(heard.c).toHaveBeenCalledTimes(20);
    // Each ended as its winner said, result and status together.
    for (const t of tasks) {
      const [state, result] = await Promise.all([c!.get('o', t.taskId), c!.result('o', t.taskId)]);
      expect(result).toBe(state!.status === 'completed' ? '"a"' : '"b"');
    }
  });

  it('tells a process that missed the news of an end: at its next update, and when Redis is back', async () => {
    const server = await redis();
    const b = (await processOn(server)).state.tasks;
    const lines: string[] = [];
    const deaf = await deafStore(server, lines);

    const first = await deaf.create('o', init);
    const firstEnd = vi.fn();
    deaf.onEnd(first.taskId, firstEnd);
    await b.end('o', first.taskId, 'cancelled', '{}');
    expect(await deaf.update('o', first.taskId, { statusMessage: 'still waiting' })).toBeNull();
    expect(firstEnd).toHaveBeenCalledExactlyOnceWith('cancelled');

    const second = await deaf.create('o', init);
    const secondEnd = endOf(deaf, second.taskId);
    await b.end('o', second.taskId, 'cancelled', '{}');
    // Cut off: Redis answers nothing while paused, then comes back with all it held.
    server.pause();
    await expect(deaf.get('o', second.taskId)).rejects.toBeInstanceOf(StateUnavailableError);
    await logged(lines, 'is unreachable');
    server.resume();
    expect(await secondEnd).toBe('cancelled');
  });

  it('fails at once with a clear error, never hangs nor crashes, while Redis is away; and serves again once it is back', async () => {
    const server = await redis();
    const { state, lines } = await processOn(server);
    const task = await state.tasks.create('o', init);
    await server.kill();
    const calls = [
      state.tasks.create('o', init),
      state.tasks.get('o', task.taskId),
      state.tasks.update('o', task.taskId, { statusMessage: 'x' }),
      state.tasks.end('o', task.taskId, 'completed', '{}'),
      state.tasks.result('o', task.taskId),
      state.tasks.list('o'),
    ];
    for (const outcome of await Promise.allSettled(calls)) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as Error;
      expect(error).toBeInstanceOf(StateUnavailableError);
      // Where Redis is stays in the log: the message reaches remote callers.
      expect(error.message).toBe('Tasks are kept in the shared state (Redis), which cannot be reached now: try again in a moment.');
      expect(error.message).not.toContain(String(server.port));
    }
    await server.restart();
    await logged(lines, 'is back');
    // A Redis that restarts empty has lost the tasks it held (persistence is the operator's choice); new ones work.
    expect(await state.tasks.get('o', task.taskId)).toBeNull();
    const again = await state.tasks.create('o', init);
    expect(await state.tasks.end('o', again.taskId, 'completed', '{}')).toBe(true);
  });
});
