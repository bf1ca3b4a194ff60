/**
 * MCP tasks in Redis, so that any replica answers tasks/get, tasks/result, tasks/list and
 * tasks/cancel for a task another one started, and a cancel answered anywhere stops the wait
 * where the task runs. The same behaviour as the in-memory store (owners, ttl from creation,
 * ended once, bounded count and bytes, pages per owner): each operation is one script, so two
 * replicas ending one task at once end it once. An end is published on a channel from inside
 * the script that makes it, and relayed to the `onEnd` listeners of every process.
 *
 * While Redis is away, every call fails at once with StateUnavailableError: a task lives in
 * Redis only (a local copy could be ended twice, or never seen by the replica asked about it).
 * Ends missed by a process while it was cut off are caught up when Redis is back, and when its
 * running task next reports progress. The scripts, and how a task is kept in Redis, are
 * lua/tasks/*.lua.
 */
import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/clock.js';
import { KeyedListeners } from '../../lib/listeners.js';
import {
  DEFAULT_TASK_STORE,
  newTask,
  ownerFull,
  statusText,
  storeFull,
  unknownCursor,
  type EndStatus,
  type TaskChange,
  type TaskState,
  type TaskStatus,
  type TaskStore,
  type TaskStoreLimits,
} from '../task-store.js';
import type { RedisLink } from './link.js';
import type { ScriptName } from './scripts.js';

/** Task ids are the store's own UUIDs: anything else is unknown without asking Redis. */
const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** How long a task's entry outlives its ttl in Redis, should no process ever sweep it again. */
const KEY_MARGIN_MS = 3600_000;
const END_STATUSES: ReadonlySet<string> = new Set<EndStatus>(['completed', 'failed', 'cancelled']);
/** What a StateUnavailableError says of tasks. */
const WHERE = 'Tasks are kept in';
const STATUSES: ReadonlySet<string> = new Set<TaskStatus>(['working', 'input_required', 'completed', 'failed', 'cancelled']);

type Reply = Array<string | number | null>;

export class RedisTaskStore implements TaskStore {
  readonly #limits: TaskStoreLimits;
  readonly #ended = new KeyedListeners<EndStatus>();
  readonly #channel: string;

  constructor(
    private readonly link: RedisLink,
    limits: Partial<TaskStoreLimits> = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.#limits = { ...DEFAULT_TASK_STORE, ...limits };
    this.#channel = link.key('tasks:ended');
    // Ends published while this process was cut off are read back once Redis is back.
    link.onChange((up) => {
      if (up) void this.#catchUp();
    });
  }

  /** Starts relaying the ends made by the other processes. */
  async start(): Promise<void> {
    await this.link.subscribe(this.#channel, (message) => this.#receive(message));
  }

  /** Tasks and result bytes kept, across every process. */
  async size(): Promise<{ tasks: number; bytes: number }> {
    const [tasks, bytes] = await Promise.all([this.#command(['ZCARD', this.link.key('tasks:all')]), this.#command(['GET', this.link.key('tasks:bytes')])]);
    return { tasks: Number(tasks), bytes: Number(bytes ?? 0) };
  }

  async create(owner: string, init: { ttl: number; pollInterval: number; statusMessage?: string }): Promise<TaskState> {
    const state = newTask(init, this.clock.now());
    const { maxTasks, maxTasksPerOwner, maxBytes, maxBytesPerOwner } = this.#limits;
    const [refused, count] = (await this.#run('tasksCreate', [
      state.taskId,
      ownerKey(owner),
      String(init.ttl),
      String(init.pollInterval),
      state.createdAt,
      ...optional(state.statusMessage),
      String(maxTasks),
      String(KEY_MARGIN_MS),
      String(maxTasksPerOwner),
      String(maxBytes),
      String(maxBytesPerOwner),
    ])) as Reply;
    if (refused === 1) throw storeFull(Number(count));
    if (refused === 2) throw ownerFull(Number(count));
    return state;
  }

  async get(owner: string, taskId: string): Promise<TaskState | null> {
    if (!TASK_ID.test(taskId)) return null;
    const reply = (await this.#run('tasksGet', [taskId, ownerKey(owner)])) as Reply | null;
    return reply ? toState(taskId, reply) : null;
  }

  async update(owner: string, taskId: string, change: TaskChange): Promise<TaskState | null> {
    if (!TASK_ID.test(taskId)) return null;
    const at = new Date(this.clock.now()).toISOString();
    const poll = change.pollInterval === undefined ? undefined : String(change.pollInterval);
    const message = change.statusMessage === undefined ? undefined : statusText(change.statusMessage);
    const { maxBytes, maxBytesPerOwner } = this.#limits;
    const reply = (await this.#run('tasksUpdate', [taskId, ownerKey(owner), at, ...optional(message), ...optional(poll), String(maxBytes), String(maxBytesPerOwner)])) as Reply;
    // Ended elsewhere, and the news may not have reached this process: its wait stops now.
    if (reply[0] === 2 && END_STATUSES.has(String(reply[1]))) this.#ended.emit(taskId, String(reply[1]) as EndStatus, true);
    return reply[0] === 1 ? toState(taskId, reply.slice(1)) : null;
  }

  async end(owner: string, taskId: string, status: EndStatus, resultJson: string, statusMessage?: string): Promise<boolean> {
    if (!TASK_ID.test(taskId)) return false;
    const at = new Date(this.clock.now()).toISOString();
    const announcement = `${status} ${this.link.id} ${taskId}`;
    const message = statusMessage === undefined ? undefined : statusText(statusMessage);
    const { maxBytes, maxBytesPerOwner } = this.#limits;
    const args = [taskId, ownerKey(owner), at, status, resultJson, ...optional(message), String(maxBytes), this.#channel, announcement, String(maxBytesPerOwner)];
    if (Number(await this.#run('tasksEnd', args)) !== 1) return false;
    this.#ended.emit(taskId, status, true);
    return true;
  }

  async result(owner: string, taskId: string): Promise<string | undefined> {
    if (!TASK_ID.test(taskId)) return undefined;
    const reply = await this.#run('tasksResult', [taskId, ownerKey(owner)]);
    return typeof reply === 'string' ? reply : undefined;
  }

  async list(owner: string, cursor?: string): Promise<{ tasks: TaskState[]; nextCursor?: string }> {
    if (cursor !== undefined && !TASK_ID.test(cursor)) throw unknownCursor();
    const reply = (await this.#run('tasksList', [ownerKey(owner), ...optional(cursor), String(this.#limits.pageSize)])) as Reply;
    if (reply[0] === -1) throw unknownCursor();
    const tasks: TaskState[] = [];
    const width = 7;
    for (let i = 1; i + width <= reply.length; i += width) tasks.push(toState(String(reply[i]), reply.slice(i + 1, i + width)));
    return { tasks, ...(reply[0] === 1 && tasks.length > 0 ? { nextCursor: tasks[tasks.length - 1]!.taskId } : {}) };
  }

  onEnd(taskId: string, listener: (status: EndStatus) => void): () => void {
    return this.#ended.add(taskId, listener);
  }

  #receive(message: string): void {
    const [status, from, taskId] = message.split(' ');
    if (from === this.link.id || !taskId || !status || !END_STATUSES.has(status)) return;
    this.#ended.emit(taskId, status as EndStatus, true);
  }

  async #catchUp(): Promise<void> {
    const ids = this.#ended.keys().filter((id) => TASK_ID.test(id));
    if (ids.length === 0) return;
    try {
      const statuses = (await this.#run('tasksEnded', ids)) as Reply;
      ids.forEach((id, i) => {
        const status = statuses[i];
        if (typeof status === 'string' && END_STATUSES.has(status)) this.#ended.emit(id, status as EndStatus, true);
      });
    } catch {
      // Lost again: the next return catches up.
    }
  }

  /** Runs a script with the prefix and the time; Redis away is a StateUnavailableError. */
  #run(script: ScriptName, args: string[]): Promise<unknown> {
    return this.link.required(() => this.link.eval(script, [], [this.link.prefix, String(this.clock.now()), ...args]), WHERE);
  }

  #command(args: string[]): Promise<unknown> {
    return this.link.required(() => this.link.command(args), WHERE);
  }
}

/** An owner as keys name it: a digest, so no session id or partition is stored as such. */
function ownerKey(owner: string): string {
  return createHash('sha256').update(owner).digest('hex').slice(0, 32);
}

/** A value a script may or may not get: its presence flag, then the value. */
function optional(value: string | undefined): [string, string] {
  return value === undefined ? ['0', ''] : ['1', value];
}

/** A task from its fields in the order of the scripts' FIELDS. */
function toState(taskId: string, fields: Reply): TaskState {
  const [status, message, createdAt, lastUpdatedAt, ttl, pollInterval] = fields;
  return {
    taskId,
    status: STATUSES.has(String(status)) ? (String(status) as TaskStatus) : 'working',
    ...(typeof message === 'string' ? { statusMessage: message } : {}),
    createdAt: String(createdAt),
    lastUpdatedAt: String(lastUpdatedAt),
    ttl: Number(ttl),
    ...(pollInterval === null || pollInterval === undefined ? {} : { pollInterval: Number(pollInterval) }),
  };
}
