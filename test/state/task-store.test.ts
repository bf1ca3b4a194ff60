/**
 * The task store's behaviour, as the interface promises it, against each implementation: in
 * memory, and on a real redis-server (skipped, said once, without one). Time is a manual clock
 * handed to the store: both count a task's ttl on it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryTaskStore, TaskCursorError, TaskStoreFullError, type TaskStore, type TaskStoreLimits } from '../../src/state/task-store.js';
import { RedisTaskStore } from '../../src/state/redis/task-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { hasRedis, redisForFile } from '../helpers/redis.js';

const init = { ttl: 60_000, pollInterval: 1000 };

interface Subject {
  store: TaskStore;
  clock: ManualClock;
  size: () => Promise<{ tasks: number; bytes: number }>;
}

interface Implementation {
  name: string;
  skip: boolean;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  make(limits?: Partial<TaskStoreLimits>): Promise<Subject>;
}

const memory: Implementation = {
  name: 'MemoryTaskStore',
  skip: false,
  async make(limits) {
    const clock = new ManualClock();
    const store = new MemoryTaskStore(limits, clock);
    return { store, clock, size: async () => store.size };
  },
};

/** Each store on its own key prefix of one redis-server: a fresh store per test. */
const shared = redisForFile();
const redis: Implementation = {
  name: 'RedisTaskStore',
  skip: !hasRedis,
  setup: shared.setup,
  teardown: shared.teardown,
  async make(limits) {
    const [link] = await shared.links(1);
    const clock = new ManualClock();
    const store = new RedisTaskStore(link!, limits, clock);
    await store.start();
    return { store, clock, size: () => store.size() };
  },
};

describe.each([memory, redis])('$name', (impl) => {
  beforeAll(async () => {
    if (!impl.skip) await impl.setup?.();
  });
  afterAll(async () => {
    if (!impl.skip) await impl.teardown?.();
  });

  it.skipIf(impl.skip)('keeps each task to its owner: another can neither see, list, change nor end it', async () => {
    const { store } = await impl.make();
    const task = await store.create('alice', init);
    expect(await store.get('bob', task.taskId)).toBeNull();
    expect((await store.list('bob')).tasks).toEqual([]);
    expect(await store.update('bob', task.taskId, { statusMessage: 'x' })).toBeNull();
    expect(await store.end('bob', task.taskId, 'completed', '{}')).toBe(false);
    expect(await store.result('bob', task.taskId)).toBeUndefined();
    expect(await store.get('alice', task.taskId)).toEqual(task);
    expect(task).toMatchObject({ status: 'working', ttl: 60_000, pollInterval: 1000 });
  });

  it.skipIf(impl.skip)('ends a task once: its result stays, and nothing changes it after', async () => {
    const { store, clock } = await impl.make();
    const task = await store.create('o', { ...init, statusMessage: 'Sending' });
    const ended = vi.fn();
    store.onEnd(task.taskId, ended);
    clock.advanceTo(clock.now() + 5);
    expect(await store.update('o', task.taskId, { statusMessage: 'Processing', pollInterval: 3000 })).toMatchObject({ statusMessage: 'Processing', pollInterval: 3000 });
    expect(await store.result('o', task.taskId)).toBeUndefined();
    clock.advanceTo(clock.now() + 5);
    expect(await store.end('o', task.taskId, 'cancelled', '{"a":1}', 'stopped')).toBe(true);
    expect(await store.end('o', task.taskId, 'completed', '{"b":2}')).toBe(false);
    expect(await store.update('o', task.taskId, { statusMessage: 'late' })).toBeNull();
    expect(ended).toHaveBeenCalledExactlyOnceWith('cancelled');
    expect(await store.result('o', task.taskId)).toBe('{"a":1}');
    const state = await store.get('o', task.taskId);
    expect(state).toMatchObject({ status: 'cancelled', statusMessage: 'stopped', pollInterval: 3000 });
    expect(Date.parse(state!.lastUpdatedAt) - Date.parse(state!.createdAt)).toBe(10);
  });

  it.skipIf(impl.skip)('forgets a task once its ttl, counted from creation, has passed', async () => {
    const { store, clock, size } = await impl.make();
    const task = await store.create('o', init);
    await store.end('o', task.taskId, 'completed', '{}');
    clock.advanceTo(clock.now() + 59_999);
    expect(await store.get('o', task.taskId)).not.toBeNull();
    clock.advanceTo(clock.now() + 1);
    expect(await store.get('o', task.taskId)).toBeNull();
    expect(await store.result('o', task.taskId)).toBeUndefined();
    expect(await size()).toEqual({ tasks: 0, bytes: 0 });
  });

  it.skipIf(impl.skip)('makes room by dropping the oldest ended task, and refuses when every task is running', async () => {
    const { store } = await impl.make({ maxTasks: 2 });
    const a = await store.create('o', init);
    const b = await store.create('o', init);
    await expect(store.create('o', init)).rejects.toThrow(TaskStoreFullError);
    await expect(store.create('o', init)).rejects.toThrow(/2 tasks are running/);
    await store.end('o', b.taskId, 'completed', '{}');
    const c = await store.create('o', init);
    expect((await store.list('o')).tasks.map((t) => t.taskId)).toEqual([a.taskId, c.taskId]);
  });

  it.skipIf(impl.skip)('keeps results within its byte bound, dropping the oldest ended tasks first', async () => {
    const { store, size } = await impl.make({ maxBytes: 100 });
    const a = await store.create('o', init);
    const b = await store.create('o', init);
    await store.end('o', a.taskId, 'completed', 'x'.repeat(60));
    await store.end('o', b.taskId, 'completed', 'y'.repeat(60));
    expect(await store.get('o', a.taskId)).toBeNull();
    expect(await store.result('o', b.taskId)).toBe('y'.repeat(60));
    expect(await size()).toEqual({ tasks: 1, bytes: 60 });
  });

  it.skipIf(impl.skip)('lists in creation order, a page at a time, and refuses a cursor it did not give', async () => {
    const { store } = await impl.make({ pageSize: 2 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await store.create('o', init)).taskId);
    await store.create('someone else', init);
    const first = await store.list('o');
    expect(first.tasks.map((t) => t.taskId)).toEqual(ids.slice(0, 2));
    const second = await store.list('o', first.nextCursor);
    const third = await store.list('o', second.nextCursor);
    expect([...second.tasks, ...third.tasks].map((t) => t.taskId)).toEqual(ids.slice(2));
    expect(third.nextCursor).toBeUndefined();
    await expect(store.list('o', 'nope')).rejects.toThrow(TaskCursorError);
    // Another owner's task is no cursor of this one.
    await expect(store.list('someone else', ids[0])).rejects.toThrow(TaskCursorError);
  });
});
