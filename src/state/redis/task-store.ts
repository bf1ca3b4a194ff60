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
 * running task next reports progress.
 */
import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/clock.js';
import { StateUnavailableError } from '../errors.js';
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
import { LuaScript, type RedisLink } from './link.js';

/** Task ids are the store's own UUIDs: anything else is unknown without asking Redis. */
const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** How long a task's entry outlives its ttl in Redis, should no process ever sweep it again. */
const KEY_MARGIN_MS = 3600_000;
const END_STATUSES: ReadonlySet<string> = new Set<EndStatus>(['completed', 'failed', 'cancelled']);
const STATUSES: ReadonlySet<string> = new Set<TaskStatus>(['working', 'input_required', 'completed', 'failed', 'cancelled']);

/**
 * The common part of every script. ARGV[1] is the key prefix, ARGV[2] the time (ms, the
 * processes' clock: a task's createdAt and its expiry are on one clock). A task is a hash at
 * P..'task:'..id; it is listed in tasks:all (by creation), tasks:ended (ended ones, by
 * creation: the first to make room), tasks:exp (by expiry) and its owner's tasks:o:<owner>
 * (by creation); tasks:owner and tasks:size map it to its owner and its bytes (result and status
 * message), so an entry is always removed whole; tasks:bytes counts them, tasks:obytes per owner.
 */
const PRELUDE = `
local P = ARGV[1]
local now = tonumber(ARGV[2])
local FIELDS = {'status', 'message', 'createdAt', 'lastUpdatedAt', 'ttl', 'pollInterval'}
local function remove(id)
  local owner = redis.call('HGET', P .. 'tasks:owner', id)
  if owner then redis.call('ZREM', P .. 'tasks:o:' .. owner, id) end
  local size = tonumber(redis.call('HGET', P .. 'tasks:size', id))
  if size then
    redis.call('DECRBY', P .. 'tasks:bytes', size)
    if owner and redis.call('HINCRBY', P .. 'tasks:obytes', owner, -size) <= 0 then redis.call('HDEL', P .. 'tasks:obytes', owner) end
  end
  redis.call('HDEL', P .. 'tasks:owner', id)
  redis.call('HDEL', P .. 'tasks:size', id)
  redis.call('ZREM', P .. 'tasks:all', id)
  redis.call('ZREM', P .. 'tasks:ended', id)
  redis.call('ZREM', P .. 'tasks:exp', id)
  redis.call('DEL', P .. 'task:' .. id)
end
local function dropExpired()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'tasks:exp', '-inf', now)) do remove(id) end
end
-- Whether the task is there, unexpired, and the owner's; an expired one goes as it is met.
local function live(id, owner)
  local expires = tonumber(redis.call('ZSCORE', P .. 'tasks:exp', id))
  if not expires then return false end
  if expires <= now or redis.call('EXISTS', P .. 'task:' .. id) == 0 then
    remove(id)
    return false
  end
  return redis.call('HGET', P .. 'tasks:owner', id) == owner
end
local function isEnded(status)
  return status == 'completed' or status == 'failed' or status == 'cancelled'
end
-- Drops the oldest ended task (of owner, when given) other than keep; false when there is none.
local function dropOldestEnded(keep, owner)
  if owner then
    -- An owner's tasks are few (its quota): its own list is walked.
    for _, id in ipairs(redis.call('ZRANGE', P .. 'tasks:o:' .. owner, 0, -1)) do
      if id ~= keep and isEnded(redis.call('HGET', P .. 'task:' .. id, 'status')) then
        remove(id)
        return true
      end
    end
    return false
  end
  for _, id in ipairs(redis.call('ZRANGE', P .. 'tasks:ended', 0, 1)) do
    if id ~= keep then
      remove(id)
      return true
    end
  end
  return false
end
-- Counts a change of a task's bytes (result and message), for the store and for its owner.
local function grow(id, owner, delta)
  redis.call('HINCRBY', P .. 'tasks:size', id, delta)
  redis.call('HINCRBY', P .. 'tasks:obytes', owner, delta)
  redis.call('INCRBY', P .. 'tasks:bytes', delta)
end
-- Keeps the byte bounds, the owner's first (its own oldest ended tasks go), then the store's; keep stays.
local function fit(keep, owner, maxBytes, maxOwnerBytes)
  while (tonumber(redis.call('HGET', P .. 'tasks:obytes', owner)) or 0) > maxOwnerBytes and dropOldestEnded(keep, owner) do end
  while (tonumber(redis.call('GET', P .. 'tasks:bytes')) or 0) > maxBytes and dropOldestEnded(keep, nil) do end
end
local function state(id)
  return redis.call('HMGET', P .. 'task:' .. id, unpack(FIELDS))
end
`;

/**
 * ARGV: prefix, now, id, owner, ttl, pollInterval, at, hasMessage, message, maxTasks, keyMarginMs,
 * maxTasksPerOwner, maxBytes, maxBytesPerOwner. {0} when made, {1, count} when the store is full,
 * {2, count} when the owner holds its quota.
 */
const CREATE = new LuaScript(`${PRELUDE}
local id, owner, ttl = ARGV[3], ARGV[4], tonumber(ARGV[5])
dropExpired()
local mine = redis.call('ZCARD', P .. 'tasks:o:' .. owner)
if mine >= tonumber(ARGV[12]) and not dropOldestEnded(nil, owner) then return {2, mine} end
local count = redis.call('ZCARD', P .. 'tasks:all')
if count >= tonumber(ARGV[10]) and not dropOldestEnded(nil, nil) then return {1, count} end
local seq = redis.call('INCR', P .. 'tasks:seq')
local key = P .. 'task:' .. id
redis.call('HSET', key, 'status', 'working', 'createdAt', ARGV[7], 'lastUpdatedAt', ARGV[7], 'ttl', ARGV[5], 'pollInterval', ARGV[6])
if ARGV[8] == '1' then redis.call('HSET', key, 'message', ARGV[9]) end
redis.call('PEXPIRE', key, ttl + tonumber(ARGV[11]))
redis.call('ZADD', P .. 'tasks:all', seq, id)
redis.call('ZADD', P .. 'tasks:exp', now + ttl, id)
redis.call('ZADD', P .. 'tasks:o:' .. owner, seq, id)
redis.call('HSET', P .. 'tasks:owner', id, owner)
grow(id, owner, ARGV[8] == '1' and string.len(ARGV[9]) or 0)
fit(id, owner, tonumber(ARGV[13]), tonumber(ARGV[14]))
return {0}
`);

/** ARGV: prefix, now, id, owner. The task's fields, or nil. */
const GET = new LuaScript(`${PRELUDE}
if not live(ARGV[3], ARGV[4]) then return false end
return state(ARGV[3])
`);

/** ARGV: prefix, now, id, owner, at, hasMessage, message, hasPoll, pollInterval, maxBytes, maxBytesPerOwner. {1, fields…} when changed, {2, status} when ended, {0} when unknown. */
const UPDATE = new LuaScript(`${PRELUDE}
local id = ARGV[3]
if not live(id, ARGV[4]) then return {0} end
local key = P .. 'task:' .. id
local status = redis.call('HGET', key, 'status')
if isEnded(status) then return {2, status} end
if ARGV[6] == '1' then
  grow(id, ARGV[4], string.len(ARGV[7]) - string.len(redis.call('HGET', key, 'message') or ''))
  redis.call('HSET', key, 'message', ARGV[7])
  fit(id, ARGV[4], tonumber(ARGV[10]), tonumber(ARGV[11]))
end
if ARGV[8] == '1' then redis.call('HSET', key, 'pollInterval', ARGV[9]) end
redis.call('HSET', key, 'lastUpdatedAt', ARGV[5])
local out = state(id)
table.insert(out, 1, 1)
return out
`);

/** ARGV: prefix, now, id, owner, at, status, result, hasMessage, message, maxBytes, channel, announcement, maxBytesPerOwner. 1 when ended now. */
const END = new LuaScript(`${PRELUDE}
local id, owner = ARGV[3], ARGV[4]
if not live(id, owner) then return 0 end
local key = P .. 'task:' .. id
if isEnded(redis.call('HGET', key, 'status')) then return 0 end
local before = tonumber(redis.call('HGET', P .. 'tasks:size', id)) or 0
redis.call('HSET', key, 'status', ARGV[6], 'lastUpdatedAt', ARGV[5], 'result', ARGV[7])
if ARGV[8] == '1' then redis.call('HSET', key, 'message', ARGV[9]) end
grow(id, owner, string.len(ARGV[7]) + string.len(redis.call('HGET', key, 'message') or '') - before)
redis.call('ZADD', P .. 'tasks:ended', redis.call('ZSCORE', P .. 'tasks:all', id), id)
fit(id, owner, tonumber(ARGV[10]), tonumber(ARGV[13]))
redis.call('PUBLISH', ARGV[11], ARGV[12])
return 1
`);

/** ARGV: prefix, now, id, owner. The result's JSON, or nil. */
const RESULT = new LuaScript(`${PRELUDE}
if not live(ARGV[3], ARGV[4]) then return false end
return redis.call('HGET', P .. 'task:' .. ARGV[3], 'result')
`);

/** ARGV: prefix, now, owner, hasCursor, cursor, pageSize. {more, id, fields…, id, fields…}, or {-1} for a cursor not found. */
const LIST = new LuaScript(`${PRELUDE}
dropExpired()
local own = P .. 'tasks:o:' .. ARGV[3]
local start = 0
if ARGV[4] == '1' then
  local rank = redis.call('ZRANK', own, ARGV[5])
  if not rank then return {-1} end
  start = rank + 1
end
local size = tonumber(ARGV[6])
local out = {0}
for i, id in ipairs(redis.call('ZRANGE', own, start, start + size)) do
  if i > size then
    out[1] = 1
  else
    table.insert(out, id)
    local s = state(id)
    for j = 1, #FIELDS do table.insert(out, s[j]) end
  end
end
return out
`);

/** ARGV: prefix, now, ids… The end status of each, or nil while it runs or when it is gone. */
const ENDED = new LuaScript(`${PRELUDE}
local out = {}
for i = 3, #ARGV do
  local status = redis.call('HGET', P .. 'task:' .. ARGV[i], 'status')
  if isEnded(status) then out[i - 2] = status else out[i - 2] = false end
end
return out
`);

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
    const [refused, count] = (await this.#run(CREATE, [
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
    const reply = (await this.#run(GET, [taskId, ownerKey(owner)])) as Reply | null;
    return reply ? toState(taskId, reply) : null;
  }

  async update(owner: string, taskId: string, change: TaskChange): Promise<TaskState | null> {
    if (!TASK_ID.test(taskId)) return null;
    const at = new Date(this.clock.now()).toISOString();
    const poll = change.pollInterval === undefined ? undefined : String(change.pollInterval);
    const message = change.statusMessage === undefined ? undefined : statusText(change.statusMessage);
    const { maxBytes, maxBytesPerOwner } = this.#limits;
    const reply = (await this.#run(UPDATE, [taskId, ownerKey(owner), at, ...optional(message), ...optional(poll), String(maxBytes), String(maxBytesPerOwner)])) as Reply;
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
    if (Number(await this.#run(END, args)) !== 1) return false;
    this.#ended.emit(taskId, status, true);
    return true;
  }

  async result(owner: string, taskId: string): Promise<string | undefined> {
    if (!TASK_ID.test(taskId)) return undefined;
    const reply = await this.#run(RESULT, [taskId, ownerKey(owner)]);
    return typeof reply === 'string' ? reply : undefined;
  }

  async list(owner: string, cursor?: string): Promise<{ tasks: TaskState[]; nextCursor?: string }> {
    if (cursor !== undefined && !TASK_ID.test(cursor)) throw unknownCursor();
    const reply = (await this.#run(LIST, [ownerKey(owner), ...optional(cursor), String(this.#limits.pageSize)])) as Reply;
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
      const statuses = (await this.#run(ENDED, ids)) as Reply;
      ids.forEach((id, i) => {
        const status = statuses[i];
        if (typeof status === 'string' && END_STATUSES.has(status)) this.#ended.emit(id, status as EndStatus, true);
      });
    } catch {
      // Lost again: the next return catches up.
    }
  }

  /** Runs a script with the prefix and the time; Redis away is a StateUnavailableError. */
  async #run(script: LuaScript, args: string[]): Promise<unknown> {
    try {
      return await this.link.eval(script, [], [this.link.prefix, String(this.clock.now()), ...args]);
    } catch {
      throw this.#unavailable();
    }
  }

  async #command(args: string[]): Promise<unknown> {
    try {
      return await this.link.command(args);
    } catch {
      throw this.#unavailable();
    }
  }

  /** Where Redis is and why it failed go to the log (the link says it once), not to callers. */
  #unavailable(): StateUnavailableError {
    return new StateUnavailableError('Tasks are kept in the shared state (Redis), which cannot be reached now: try again in a moment.');
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
