/**
 * The task store's behaviour, as the interface promises it: run against each implementation
 * (../memory-contracts.test.ts, ../redis/contracts.test.ts). Time is a manual clock handed to the
 * store: both count a task's ttl on it.
 */
import { describe, expect, it, vi } from 'vitest';
import { MAX_STATUS_CHARS, TaskCursorError, TaskStoreFullError, type TaskStore, type TaskStoreLimits } from '../../../src/state/task-store.js';
import type { ManualClock } from '../../helpers/manual-clock.js';

const init = { ttl: 60_000, pollInterval: 1000 };

interface TaskStoreSubject {
  store: TaskStore;
  clock: ManualClock;
  size: () => Promise<{ tasks: number; bytes: number }>;
  /** What a text counts in the store's bytes (memory: UTF-16 units; Redis: UTF-8 bytes). */
  measure: (text: string) => number;
}

export interface TaskStoreBackend {
  name: string;
  make(limits?: Partial<TaskStoreLimits>): Promise<TaskStoreSubject>;
}

export function taskStoreContract(impl: TaskStoreBackend): void {
  describe(`${impl.name}: tasks`, () => {

    it('keeps each task to its owner: another can neither see, list, change nor end it', async () => {
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

    it('ends a task once: its result stays, and nothing changes it after', async () => {
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

    it('forgets a task once its ttl, counted from creation, has passed', async () => {
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

    it('makes room by dropping the oldest ended task, and refuses when every task is running', async () => {
      const { store } = await impl.make({ maxTasks: 2 });
      const a = await store.create('o', init);
      const b = await store.create('o', init);
      await expect(store.create('o', init)).rejects.toThrow(TaskStoreFullError);
      await expect(store.create('o', init)).rejects.toThrow(/2 tasks are running/);
      await store.end('o', b.taskId, 'completed', '{}');
      const c = await store.create('o', init);
      expect((await store.list('o')).tasks.map((t) => t.taskId)).toEqual([a.taskId, c.taskId]);
    });

    it('keeps results within its byte bound, dropping the oldest ended tasks first', async () => {
      const { store, size } = await impl.make({ maxBytes: 100 });
      const a = await store.create('o', init);
      const b = await store.create('o', init);
      await store.end('o', a.taskId, 'completed', 'x'.repeat(60));
      await store.end('o', b.taskId, 'completed', 'y'.repeat(60));
      expect(await store.get('o', a.taskId)).toBeNull();
      expect(await store.result('o', b.taskId)).toBe('y'.repeat(60));
      expect(await size()).toEqual({ tasks: 1, bytes: 60 });
    });

    it('bounds a status message and counts it in the bytes (issue 16)', async () => {
      const { store, size, measure } = await impl.make();
      const huge = 'status '.repeat(50_000);
      const tasks = [];
      for (let i = 0; i < 5; i++) tasks.push(await store.create('o', { ...init, statusMessage: huge }));
      expect(tasks[0]!.statusMessage!.length).toBeLessThanOrEqual(MAX_STATUS_CHARS + 50);
      const updated = await store.update('o', tasks[1]!.taskId, { statusMessage: huge });
      expect(updated!.statusMessage!.length).toBeLessThanOrEqual(MAX_STATUS_CHARS + 50);
      expect(updated!.statusMessage).toContain('350,000 characters in all');
      await store.end('o', tasks[2]!.taskId, 'failed', '{}', huge);
      expect((await store.get('o', tasks[2]!.taskId))!.statusMessage!.length).toBeLessThanOrEqual(MAX_STATUS_CHARS + 50);
      // tasks/list of 5 tasks stays small.
      expect(JSON.stringify(await store.list('o')).length).toBeLessThan(5 * (MAX_STATUS_CHARS + 400));
      const message = measure(tasks[0]!.statusMessage!);
      expect(await size()).toEqual({ tasks: 5, bytes: 5 * message + 2 });
      // The others end with no result and an empty message: only the failed one's are left.
      for (const t of tasks) await store.end('o', t.taskId, 'cancelled', '', '');
      expect(await size()).toEqual({ tasks: 5, bytes: message + 2 });
    });

    it('keeps a quota of tasks per owner: its own ended tasks make room, and the others still create (issue 16)', async () => {
      const { store } = await impl.make({ maxTasksPerOwner: 2 });
      const a1 = await store.create('a', init);
      const a2 = await store.create('a', init);
      await expect(store.create('a', init)).rejects.toThrow(TaskStoreFullError);
      await expect(store.create('a', init)).rejects.toThrow(/2 tasks running, the most one caller may keep at once \(tasks per caller\)/);
      const b1 = await store.create('b', init);
      await store.end('b', b1.taskId, 'completed', '{}');
      await store.end('a', a1.taskId, 'completed', '{}');
      const a3 = await store.create('a', init);
      expect((await store.list('a')).tasks.map((t) => t.taskId)).toEqual([a2.taskId, a3.taskId]);
      // b's ended task was not dropped to make room for a.
      expect(await store.result('b', b1.taskId)).toBe('{}');
    });

    it('keeps a byte quota per owner: an owner over it loses its own oldest results, not another\'s (issue 16)', async () => {
      const { store, size } = await impl.make({ maxBytesPerOwner: 100, maxBytes: 1000 });
      const b = await store.create('b', init);
      await store.end('b', b.taskId, 'completed', 'b'.repeat(60));
      const a1 = await store.create('a', init);
      const a2 = await store.create('a', init);
      await store.end('a', a1.taskId, 'completed', 'x'.repeat(60));
      await store.end('a', a2.taskId, 'completed', 'y'.repeat(60));
      expect(await store.get('a', a1.taskId)).toBeNull();
      expect(await store.result('a', a2.taskId)).toBe('y'.repeat(60));
      expect(await store.result('b', b.taskId)).toBe('b'.repeat(60));
      expect(await size()).toEqual({ tasks: 2, bytes: 120 });
    });

    it('lists in creation order, a page at a time, and refuses a cursor it did not give', async () => {
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
}
