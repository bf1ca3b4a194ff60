/**
 * Tasks: calls that outlive their request. A task is created running, may change its message
 * while it runs, and ends once — completed, failed or cancelled — with its result kept as JSON
 * until its ttl (counted from creation) runs out. Each task belongs to one owner (an API key's
 * partition and a session): no other owner can see, list or end it. Bounded in count and bytes,
 * as a whole and per owner (so one caller cannot fill it for the others); a status message is
 * bounded too, and counted in the bytes.
 * The in-memory implementation serves one process; a shared one lets any replica answer.
 */
import { randomUUID } from 'node:crypto';
import { clip } from '../lib/text.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { KeyedListeners } from '../lib/listeners.js';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';
export type EndStatus = 'completed' | 'failed' | 'cancelled';

/** A task as the protocol describes it (MCP `Task`). */
export interface TaskState {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  /** ISO 8601. */
  createdAt: string;
  lastUpdatedAt: string;
  /** Lifetime from creation, ms. */
  ttl: number;
  /** Suggested gap between two status checks, ms. */
  pollInterval?: number;
}

export interface TaskChange {
  statusMessage?: string;
  pollInterval?: number;
}

export interface TaskStore {
  create(owner: string, init: { ttl: number; pollInterval: number; statusMessage?: string }): Promise<TaskState>;
  get(owner: string, taskId: string): Promise<TaskState | null>;
  /** Changes a running task; null when it is unknown or has ended (an ended task never changes). */
  update(owner: string, taskId: string, change: TaskChange): Promise<TaskState | null>;
  /** Ends a running task with its result (JSON); false when it is unknown or had already ended. */
  end(owner: string, taskId: string, status: EndStatus, resultJson: string, statusMessage?: string): Promise<boolean>;
  /** The result of an ended task, as JSON. */
  result(owner: string, taskId: string): Promise<string | undefined>;
  /** The owner's tasks, oldest first, a page at a time; `cursor` is the `nextCursor` of the page before. */
  list(owner: string, cursor?: string): Promise<{ tasks: TaskState[]; nextCursor?: string }>;
  /** Calls `listener` once when the task ends, wherever it is ended; returns the unsubscribe. */
  onEnd(taskId: string, listener: (status: EndStatus) => void): () => void;
}

export interface TaskStoreLimits {
  /** Tasks kept at once; when full, the oldest ended task makes room, and with none ended creation is refused. */
  maxTasks: number;
  /** Bytes of results kept; beyond, the oldest ended tasks are dropped. */
  maxBytes: number;
  /** Tasks per page of list. */
  pageSize: number;
  /** Tasks one owner keeps at once: its own oldest ended task makes room, and with none ended creation is refused. */
  maxTasksPerOwner: number;
  /** Bytes one owner's tasks keep: beyond, its own oldest ended tasks are dropped. */
  maxBytesPerOwner: number;
}

export const DEFAULT_TASK_STORE: Readonly<TaskStoreLimits> = Object.freeze({
  maxTasks: 1000,
  maxBytes: 64 * 1024 * 1024,
  pageSize: 50,
  maxTasksPerOwner: 20,
  maxBytesPerOwner: 16 * 1024 * 1024,
});

/** The longest status message kept: the text a progress message or an error gave, cut. */
export const MAX_STATUS_CHARS = 500;

/** A status message as kept: within MAX_STATUS_CHARS (plus the note of its full length). */
export function statusText(message: string): string {
  return clip(message, MAX_STATUS_CHARS);
}

/** Creation refused: every slot holds a running task. */
export class TaskStoreFullError extends Error {
  override name = 'TaskStoreFullError';
}

/** A cursor that is not one list gave. */
export class TaskCursorError extends Error {
  override name = 'TaskCursorError';
}

/** Creation refused with `count` tasks kept, none of them ended. */
export function storeFull(count: number): TaskStoreFullError {
  return new TaskStoreFullError(`${count} tasks are running, the most this server keeps at once. Wait for one to end, or cancel one.`);
}

/** Creation refused: this owner holds its quota of tasks, none of them ended. */
export function ownerFull(count: number): TaskStoreFullError {
  return new TaskStoreFullError(
    `This caller has ${count} tasks running, the most one caller may keep at once (tasks per caller). Wait for one to end, or cancel one; one task can send many documents.`,
  );
}

export function unknownCursor(): TaskCursorError {
  return new TaskCursorError('This cursor is not one tasks/list gave, or its task has ended and expired: list again from the start.');
}

/** A task as created, running, at `now`. */
export function newTask(init: { ttl: number; pollInterval: number; statusMessage?: string }, now: number): TaskState {
  const at = new Date(now).toISOString();
  return {
    taskId: randomUUID(),
    status: 'working',
    ...(init.statusMessage === undefined ? {} : { statusMessage: statusText(init.statusMessage) }),
    createdAt: at,
    lastUpdatedAt: at,
    ttl: init.ttl,
    pollInterval: init.pollInterval,
  };
}

interface Entry {
  owner: string;
  state: TaskState;
  expiresAt: number;
  resultJson?: string;
}

/** What an entry counts against the byte bounds: its result and its status message. */
const bytesOf = (entry: Entry) => (entry.resultJson?.length ?? 0) + (entry.state.statusMessage?.length ?? 0);

const isEnded = (status: TaskStatus): status is EndStatus => status === 'completed' || status === 'failed' || status === 'cancelled';

export class MemoryTaskStore implements TaskStore {
  readonly #limits: TaskStoreLimits;
  // A plain Map, in creation order, which list pages through; its bound is kept by create and
  // end, which choose what may go (only ended tasks), where an LRU map would drop running ones.
  readonly #entries = new Map<string, Entry>();
  readonly #ended = new KeyedListeners<EndStatus>();
  /** Tasks and bytes per owner. */
  readonly #owners = new Map<string, { tasks: number; bytes: number }>();
  #bytes = 0;

  constructor(
    limits: Partial<TaskStoreLimits> = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.#limits = { ...DEFAULT_TASK_STORE, ...limits };
  }

  get size(): { tasks: number; bytes: number } {
    return { tasks: this.#entries.size, bytes: this.#bytes };
  }

  async create(owner: string, init: { ttl: number; pollInterval: number; statusMessage?: string }): Promise<TaskState> {
    this.#dropExpired();
    const mine = this.#owners.get(owner)?.tasks ?? 0;
    if (mine >= this.#limits.maxTasksPerOwner && !this.#dropOldestEnded(undefined, owner)) throw ownerFull(mine);
    if (this.#entries.size >= this.#limits.maxTasks && !this.#dropOldestEnded()) throw storeFull(this.#entries.size);
    const now = this.clock.now();
    const state = newTask(init, now);
    const entry: Entry = { owner, state, expiresAt: now + init.ttl };
    this.#entries.set(state.taskId, entry);
    this.#count(entry, 1, bytesOf(entry));
    this.#fit(state.taskId, owner);
    return { ...state };
  }

  async get(owner: string, taskId: string): Promise<TaskState | null> {
    const entry = this.#live(owner, taskId);
    return entry ? { ...entry.state } : null;
  }

  async update(owner: string, taskId: string, change: TaskChange): Promise<TaskState | null> {
    const entry = this.#live(owner, taskId);
    if (!entry || isEnded(entry.state.status)) return null;
    const before = bytesOf(entry);
    if (change.statusMessage !== undefined) entry.state.statusMessage = statusText(change.statusMessage);
    if (change.pollInterval !== undefined) entry.state.pollInterval = change.pollInterval;
    entry.state.lastUpdatedAt = new Date(this.clock.now()).toISOString();
    this.#count(entry, 0, bytesOf(entry) - before);
    this.#fit(taskId, owner);
    return { ...entry.state };
  }

  async end(owner: string, taskId: string, status: EndStatus, resultJson: string, statusMessage?: string): Promise<boolean> {
    const entry = this.#live(owner, taskId);
    if (!entry || isEnded(entry.state.status)) return false;
    const before = bytesOf(entry);
    entry.state.status = status;
    if (statusMessage !== undefined) entry.state.statusMessage = statusText(statusMessage);
    entry.state.lastUpdatedAt = new Date(this.clock.now()).toISOString();
    entry.resultJson = resultJson;
    this.#count(entry, 0, bytesOf(entry) - before);
    this.#fit(taskId, owner);
    this.#ended.emit(taskId, status, true);
    return true;
  }

  async result(owner: string, taskId: string): Promise<string | undefined> {
    return this.#live(owner, taskId)?.resultJson;
  }

  async list(owner: string, cursor?: string): Promise<{ tasks: TaskState[]; nextCursor?: string }> {
    this.#dropExpired();
    const mine = [...this.#entries.values()].filter((e) => e.owner === owner);
    let start = 0;
    if (cursor !== undefined) {
      const at = mine.findIndex((e) => e.state.taskId === cursor);
      if (at < 0) throw unknownCursor();
      start = at + 1;
    }
    const page = mine.slice(start, start + this.#limits.pageSize);
    const more = start + page.length < mine.length;
    return { tasks: page.map((e) => ({ ...e.state })), ...(more ? { nextCursor: page[page.length - 1]!.state.taskId } : {}) };
  }

  onEnd(taskId: string, listener: (status: EndStatus) => void): () => void {
    return this.#ended.add(taskId, listener);
  }

  #live(owner: string, taskId: string): Entry | undefined {
    const entry = this.#entries.get(taskId);
    if (!entry || entry.owner !== owner) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.#remove(taskId, entry);
      return undefined;
    }
    return entry;
  }

  #dropExpired(): void {
    const now = this.clock.now();
    for (const [id, entry] of this.#entries) if (entry.expiresAt <= now) this.#remove(id, entry);
  }

  /** Keeps the byte bounds, the owner's first (its own oldest ended tasks go), then the store's; `keep` stays. */
  #fit(keep: string, owner: string): void {
    while ((this.#owners.get(owner)?.bytes ?? 0) > this.#limits.maxBytesPerOwner && this.#dropOldestEnded(keep, owner));
    while (this.#bytes > this.#limits.maxBytes && this.#dropOldestEnded(keep));
  }

  #count(entry: Entry, tasks: number, bytes: number): void {
    const mine = this.#owners.get(entry.owner) ?? { tasks: 0, bytes: 0 };
    mine.tasks += tasks;
    mine.bytes += bytes;
    this.#bytes += bytes;
    if (mine.tasks <= 0) this.#owners.delete(entry.owner);
    else this.#owners.set(entry.owner, mine);
  }

  /** Drops the oldest ended task (of `owner`, when given) other than `keep`; false when there is none. */
  #dropOldestEnded(keep?: string, owner?: string): boolean {
    for (const [id, entry] of this.#entries) {
      if (id !== keep && (owner === undefined || entry.owner === owner) && isEnded(entry.state.status)) {
        this.#remove(id, entry);
        return true;
      }
    }
    return false;
  }

  #remove(taskId: string, entry: Entry): void {
    this.#entries.delete(taskId);
    this.#count(entry, -1, -bytesOf(entry));
  }
}
