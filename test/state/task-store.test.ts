import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryTaskStore, TaskCursorError, TaskStoreFullError } from '../../src/state/task-store.js';

const init = { ttl: 60_000, pollInterval: 1000 };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryTaskStore', () => {
  it('keeps each task to its owner: another can neither see, list, change nor end it', async () => {
    const store = new MemoryTaskStore();
    const task = await store.create('alice', init);
    expect(await store.get('bob', task.taskId)).toBeNull();
    expect((await store.list('bob')).tasks).toEqual([]);
    expect(await store.update('bob', task.taskId, { statusMessage: 'x' })).toBeNull();
    expect(await store.end('bob', task.taskId, 'completed', '{}')).toBe(false);
    expect(await store.get('alice', task.taskId)).toMatchObject({ status: 'working' });
  });

  it('ends a task once: its result stays, and nothing changes it after', async () => {
    const store = new MemoryTaskStore();
    const task = await store.create('o', init);
    const ended = vi.fn();
    store.onEnd(task.taskId, ended);
    vi.advanceTimersByTime(5);
    expect(await store.update('o', task.taskId, { statusMessage: 'Processing', pollInterval: 3000 })).toMatchObject({ statusMessage: 'Processing', pollInterval: 3000 });
    expect(await store.end('o', task.taskId, 'cancelled', '{"a":1}', 'stopped')).toBe(true);
    expect(await store.end('o', task.taskId, 'completed', '{"b":2}')).toBe(false);
    expect(await store.update('o', task.taskId, { statusMessage: 'late' })).toBeNull();
    expect(ended).toHaveBeenCalledExactlyOnceWith('cancelled');
    expect(await store.result('o', task.taskId)).toBe('{"a":1}');
    const state = await store.get('o', task.taskId);
    expect(state).toMatchObject({ status: 'cancelled', statusMessage: 'stopped' });
    expect(Date.parse(state!.lastUpdatedAt)).toBeGreaterThan(Date.parse(state!.createdAt));
  });

  it('forgets a task once its ttl, counted from creation, has passed', async () => {
    const store = new MemoryTaskStore();
    const task = await store.create('o', init);
    await store.end('o', task.taskId, 'completed', '{}');
    vi.advanceTimersByTime(59_999);
    expect(await store.get('o', task.taskId)).not.toBeNull();
    vi.advanceTimersByTime(1);
    expect(await store.get('o', task.taskId)).toBeNull();
    expect(await store.result('o', task.taskId)).toBeUndefined();
    expect(store.size).toEqual({ tasks: 0, bytes: 0 });
  });

  it('makes room by dropping the oldest ended task, and refuses when every task is running', async () => {
    const store = new MemoryTaskStore({ maxTasks: 2 });
    const a = await store.create('o', init);
    const b = await store.create('o', init);
    await expect(store.create('o', init)).rejects.toThrow(TaskStoreFullError);
    await expect(store.create('o', init)).rejects.toThrow(/2 tasks are running/);
    await store.end('o', b.taskId, 'completed', '{}');
    const c = await store.create('o', init);
    expect((await store.list('o')).tasks.map((t) => t.taskId)).toEqual([a.taskId, c.taskId]);
  });

  it('keeps results within its byte bound, dropping the oldest ended tasks first', async () => {
    const store = new MemoryTaskStore({ maxBytes: 100 });
    const a = await store.create('o', init);
    const b = await store.create('o', init);
    await store.end('o', a.taskId, 'completed', 'x'.repeat(60));
    await store.end('o', b.taskId, 'completed', 'y'.repeat(60));
    expect(await store.get('o', a.taskId)).toBeNull();
    expect(await store.result('o', b.taskId)).toBe('y'.repeat(60));
    expect(store.size.bytes).toBe(60);
  });

  it('lists in creation order, a page at a time, and refuses a cursor it did not give', async () => {
    const store = new MemoryTaskStore({ pageSize: 2 });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await store.create('o', init)).taskId);
    const first = await store.list('o');
    expect(first.tasks.map((t) => t.taskId)).toEqual(ids.slice(0, 2));
    const second = await store.list('o', first.nextCursor);
    const third = await store.list('o', second.nextCursor);
    expect([...second.tasks, ...third.tasks].map((t) => t.taskId)).toEqual(ids.slice(2));
    expect(third.nextCursor).toBeUndefined();
    await expect(store.list('o', 'nope')).rejects.toThrow(TaskCursorError);
  });
});
