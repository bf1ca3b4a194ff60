/**
 * MCP tasks for the tools that declare `execution.taskSupport`, in both of their forms, over the
 * one task store of the shared state (memory or Redis):
 * - 2025-11-25 (the `tasks` capability; VS Code, the Inspector): a tools/call with `task` returns
 *   a task at once; tasks/get, tasks/result (waits for the end), tasks/list, tasks/cancel.
 * - 2026-07-28, the `io.modelcontextprotocol/tasks` extension, for a client that declares it on
 *   the request: a call answers with a task (`resultType: "task"`) when the caller asked for one
 *   (`task`) or when its wait would outlast its budget (`max_wait_seconds`), plainly otherwise;
 *   tasks/get carries the result once it is there, tasks/update, tasks/cancel.
 * Either way the tool's own `run` does the work in the background and gives exactly the result of
 * the plain call; a cancel stops the waiting (Mindee cannot cancel a job). A client that declared
 * no tasks never gets one. Tasks belong to the caller (the one caller identity):
 * another caller's task id is unknown.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  type CallToolRequest,
  type CallToolResult,
  type ClientCapabilities,
  type Notification,
  type Result,
  type Server,
  type ServerCapabilities,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { MAX_WAIT_SECONDS } from '../config.js';
import type { Clock } from '../lib/clock.js';
import { StateUnavailableError } from '../state/errors.js';
import { DEFAULT_RESULT_STORE } from '../state/result-store.js';
import { DEFAULT_TASK_STORE, TaskCursorError, TaskStoreFullError, type EndStatus, type TaskState } from '../state/task-store.js';
import { clip, stripControl } from '../lib/text.js';
import type { ToolDeps } from '../tools/define.js';
import { resolveModelId } from '../tools/models.js';
import { callTool, toolContext, type AnyTool, type Extra } from './tool-call.js';

/** The 2025-11-25 `tasks` server capability. */
export const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } } satisfies ServerCapabilities['tasks'];
/** The 2026-07-28 tasks extension's identifier. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

/** Mindee keeps a result 1 to 24 hours, as each model is set: a task never outlives the shortest. */
export const MINDEE_MIN_RETENTION_MS = 3600_000;
/** Time left after a task's wait to read its result. */
const READ_MARGIN_MS = 60_000;
/** Tasks one owner may have running in this process: the store's slots are everyone's (its quota per owner is the same). */
export const MAX_RUNNING_TASKS_PER_OWNER = DEFAULT_TASK_STORE.maxTasksPerOwner;
/** Running tasks per owner, for the whole process (a stateless HTTP server makes a server per request). */
const running = new Map<string, number>();

/** Bounds of the suggested gap between two tasks/get. */
const MIN_POLL_MS = 1000;
const MAX_POLL_MS = 10_000;
/** A tasks/result that waits looks at the store again this often, in case an end was missed. */
const RESULT_RECHECK_MS = 5_000;

const CANCELLED =
  'Cancelled: mindee-mcp stopped waiting. Mindee cannot cancel a job: a document already sent is still processed ' +
  '(and counted); get_job_status with its job_id follows it.';

/** How a tools/call may run as a task. */
export interface TaskForm {
  era: 'legacy' | 'modern';
  /** The caller asked for a task (`task` in the request). */
  asked: boolean;
  /** A task may be the answer: the caller asked (2025) or declared the extension (2026). */
  allowed: boolean;
  /** The lifetime the caller asked for, ms. */
  ttl?: number;
}

/** What the request allows: a 2025 client asks with `task`; a 2026 client declares the extension on the request. */
export function taskFormOf(request: CallToolRequest, extra: Extra, era: 'legacy' | 'modern'): TaskForm {
  const task = (request.params as { task?: { ttl?: unknown } }).task;
  const ttl = typeof task?.ttl === 'number' && Number.isFinite(task.ttl) ? task.ttl : undefined;
  if (era === 'legacy') return { era, asked: task !== undefined, allowed: task !== undefined, ttl };
  const declared = clientCapabilitiesOf(extra)?.extensions?.[TASKS_EXTENSION] !== undefined;
  return { era, asked: declared && task !== undefined, allowed: declared, ttl };
}

/** The client's capabilities as a 2026-07-28 request states them (its `_meta` envelope). */
function clientCapabilitiesOf(extra: Extra): (ClientCapabilities & { extensions?: Record<string, unknown> }) | undefined {
  const envelope = extra.mcpReq.envelope as Record<string, unknown> | undefined;
  return envelope?.[CLIENT_CAPABILITIES_META_KEY] as (ClientCapabilities & { extensions?: Record<string, unknown> }) | undefined;
}

/** Who may see a task: the caller and its MCP session, if any. */
function ownerOf(deps: ToolDeps, sessionId: string | undefined): string {
  return `${deps.client.caller.id}\u0000${sessionId ?? ''}`;
}

const isEnded = (status: TaskState['status']): status is EndStatus => status === 'completed' || status === 'failed' || status === 'cancelled';

/** A task as 2025-11-25 describes it. */
function legacyTask(state: TaskState): Record<string, unknown> {
  return { ...state };
}

/**
 * A task as the 2026-07-28 extension describes it. A tool's isError answer is a completed task
 * there (`failed` is for JSON-RPC errors), and an ended task carries its result.
 */
function modernTask(state: TaskState, resultJson?: string): Record<string, unknown> {
  const { ttl, pollInterval, status, ...rest } = state;
  const task: Record<string, unknown> = { ...rest, status: status === 'failed' ? 'completed' : status, ttlMs: ttl, ...(pollInterval === undefined ? {} : { pollIntervalMs: pollInterval }) };
  // The result as the request would have had it: a 2026-07-28 result says its type.
  if ((status === 'completed' || status === 'failed') && resultJson !== undefined) task.result = { ...(JSON.parse(resultJson) as object), resultType: 'complete' };
  return task;
}

/** A task store that cannot be reached (Redis away) is said as such to the caller, who can do without a task. */
async function reachable<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof StateUnavailableError) throw new ProtocolError(ProtocolErrorCode.InternalError, `${error.message} Meanwhile, call the tool without "task": the call itself then waits for the result.`);
    if (error instanceof TaskStoreFullError) throw new ProtocolError(ProtocolErrorCode.InternalError, error.message);
    if (error instanceof TaskCursorError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
    throw error;
  }
}

/**
 * Ends a task whose tool call has finished. While the store cannot be reached, tries again
 * (250 ms, doubling to 5 s) until the task's lifetime is over, so a result that arrives during an
 * outage is still stored once the store is back.
 */
async function endWhenReachable(end: () => Promise<boolean>, clock: Clock, until: number, waiting: () => void): Promise<boolean> {
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await end();
    } catch (error) {
      if (!(error instanceof StateUnavailableError) || clock.now() + delay >= until) throw error;
      if (delay === 250) waiting();
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
    }
  }
}

/**
 * A task's lifetime: what the caller asked (or the most allowed), at least its wait and the time
 * to read the result, and never past the time Mindee and this server keep results.
 */
function taskTtl(deps: ToolDeps, requested: number | undefined, waitMs: number): number {
  const kept = (deps.settings.keptResultsSeconds ?? DEFAULT_RESULT_STORE.ttlMs / 1000) * 1000;
  const most = Math.min(MINDEE_MIN_RETENTION_MS, kept);
  return Math.max(1000, Math.min(most, Math.max(requested ?? most, waitMs + READ_MARGIN_MS)));
}

const TaskIdParams = z.looseObject({ taskId: z.string().max(200) });
const ListParams = z.looseObject({ cursor: z.string().max(1000).optional() });
const AnyResult = z.looseObject({});

/** The tasks of one server instance (one connection, or one HTTP request). */
export class Tasks {
  constructor(
    private readonly deps: ToolDeps,
    private readonly era: 'legacy' | 'modern',
    private readonly notify: (notification: Notification) => Promise<void>,
  ) {}

  private get store() {
    return this.deps.client.connection.state.tasks;
  }

  private notFound(taskId: string): ProtocolError {
    return new ProtocolError(ProtocolErrorCode.InvalidParams, `Task not found: ${clip(taskId, 80)} is unknown to this caller, or has expired.`);
  }

  /** The tasks/* methods of this instance's era; `context` adds what stops the instance to a request's. */
  install(server: Server, context: (extra: Extra) => Extra = (extra) => extra): void {
    server.setRequestHandler('tasks/get', { params: TaskIdParams, result: AnyResult }, async ({ taskId }, extra) => {
      const owner = ownerOf(this.deps, extra.sessionId);
      const state = await reachable(() => this.store.get(owner, taskId));
      if (!state) throw this.notFound(taskId);
      if (this.era === 'legacy') return legacyTask(state);
      const json = isEnded(state.status) ? await reachable(() => this.store.result(owner, taskId)) : undefined;
      return modernTask(state, json);
    });
    server.setRequestHandler('tasks/cancel', { params: TaskIdParams, result: AnyResult }, async ({ taskId }, extra) => {
      const owner = ownerOf(this.deps, extra.sessionId);
      const before = await reachable(() => this.store.get(owner, taskId));
      if (!before) throw this.notFound(taskId);
      if (isEnded(before.status)) {
        if (this.era === 'modern') return {};
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Cannot cancel task in terminal status: ${before.status}`);
      }
      // The task ends now; its result says what that means for the Mindee job.
      const message = before.statusMessage ? `${CANCELLED} Last status: ${before.statusMessage}` : CANCELLED;
      const result: CallToolResult = { isError: true, content: [{ type: 'text', text: message }] };
      const ended = await reachable(() => this.store.end(owner, taskId, 'cancelled', JSON.stringify(result), message));
      if (this.era === 'modern') return {};
      const after = await reachable(() => this.store.get(owner, taskId));
      if (!after) throw this.notFound(taskId);
      // Another tasks/cancel (or the task's own end) came first: said as a task already ended is.
      if (!ended) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `Cannot cancel task in terminal status: ${after.status} (task ${clip(taskId, 80)} has already ${after.status === 'cancelled' ? 'been cancelled' : 'ended'}).`,
        );
      }
      return legacyTask(after);
    });
    if (this.era === 'modern') {
      // No task of this server ever waits for input: responses are acknowledged and ignored.
      server.setRequestHandler('tasks/update', { params: TaskIdParams, result: AnyResult }, async ({ taskId }, extra) => {
        if (!(await reachable(() => this.store.get(ownerOf(this.deps, extra.sessionId), taskId)))) throw this.notFound(taskId);
        return {};
      });
      return;
    }
    server.setRequestHandler('tasks/list', { params: ListParams, result: AnyResult }, async ({ cursor }, extra) => {
      const page = await reachable(() => this.store.list(ownerOf(this.deps, extra.sessionId), cursor));
      return { tasks: page.tasks.map(legacyTask), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    });
    server.setRequestHandler('tasks/result', { params: TaskIdParams, result: AnyResult }, async ({ taskId }, extra) => {
      const owner = ownerOf(this.deps, extra.sessionId);
      await this.ended(owner, taskId, context(extra).mcpReq.signal);
      const json = await reachable(() => this.store.result(owner, taskId));
      if (json === undefined) throw this.notFound(taskId);
      const result = JSON.parse(json) as Result;
      return { ...result, _meta: { ...result._meta, [RELATED_TASK]: { taskId } } };
    });
  }

  /** Resolves once the task has ended (2025 tasks/result waits for it), or rejects when it is unknown or the caller gives up. */
  private async ended(owner: string, taskId: string, signal: AbortSignal): Promise<void> {
    const { clock } = this.deps.client.connection;
    for (;;) {
      let wake = () => {};
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const off = this.store.onEnd(taskId, () => wake());
      const timer = clock.setTimeout(() => wake(), RESULT_RECHECK_MS);
      signal.addEventListener('abort', wake, { once: true });
      try {
        const state = await reachable(() => this.store.get(owner, taskId));
        if (!state) throw this.notFound(taskId);
        if (isEnded(state.status)) return;
        if (signal.aborted) throw new ProtocolError(ProtocolErrorCode.InternalError, 'The caller stopped waiting for the task.');
        await woken;
      } finally {
        off();
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', wake);
      }
    }
  }

  /**
   * A call of a task tool by a caller that may get a task: a task at once when it asked for one;
   * otherwise (2026 era) the plain answer when it comes within the call's budget, and a task that
   * goes on waiting when it does not.
   */
  async call(tool: AnyTool, args: Record<string, unknown>, extra: Extra, form: TaskForm): Promise<CallToolResult> {
    const { deps } = this;
    const store = this.store;
    const owner = ownerOf(deps, extra.sessionId);
    const { clock } = deps.client.connection;
    const askedWait = typeof args.max_wait_seconds === 'number' ? args.max_wait_seconds : undefined;
    // No host cuts a task off at 60 s: by default it waits as long as Mindee may process a job,
    // within the task's lifetime. A call that becomes a task only when its budget runs out had
    // `max_wait_seconds` as that budget, not as the task's wait.
    const taskWait = form.asked ? askedWait : undefined;
    const ttl = taskTtl(deps, form.ttl, (taskWait ?? MAX_WAIT_SECONDS) * 1000);
    // The wait ends before the task does, with time to read the result: a task never expires while
    // its wait still runs (it could then be neither cancelled nor read).
    const waitSeconds = Math.max(1, Math.min(taskWait ?? MAX_WAIT_SECONDS, MAX_WAIT_SECONDS, Math.floor((ttl - READ_MARGIN_MS) / 1000)));
    const full = (running.get(owner) ?? 0) >= MAX_RUNNING_TASKS_PER_OWNER;
    if (!form.asked) {
      // A task only if the wait outlasts the budget: with no room for one, the call stays plain.
      if (full) return callTool(tool, args, deps, toolContext(extra, deps));
    } else if (full) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `This caller already has ${MAX_RUNNING_TASKS_PER_OWNER} tasks running here: wait for some to end (tasks/get) or cancel them (tasks/cancel), then start more; enqueue_documents sends many documents in one task.`,
      );
    }
    const budgetMs = (askedWait ?? deps.settings.maxWaitSeconds) * 1000;
    const runArgs = askedWait === undefined ? args : { ...args, max_wait_seconds: form.asked ? Math.min(askedWait, waitSeconds) : waitSeconds };

    const modelId = plannedModel(args, deps);
    const startedAt = clock.now();
    const pollInterval = () => {
      const { planner } = deps.client.connection;
      const elapsedMs = clock.now() - startedAt;
      const ahead = planner.predictions(modelId, null).filter((t) => t > elapsedMs);
      // When half the jobs like this one still running are done; with nothing learnt yet, when
      // the waiter would look next.
      const next = ahead.length > 0 ? ahead[Math.floor(ahead.length / 2)]! - elapsedMs : planner.nextDelay({ modelId, pages: null, elapsedMs, polls: 1 });
      return Math.round(Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, next)));
    };

    let state: TaskState | undefined;
    let lastMessage: string | undefined;
    const stopped = new AbortController();
    let unsubscribe = () => {};
    const plain = toolContext(extra, deps, stopped.signal, () => state === undefined);
    const ctx = {
      signal: stopped.signal,
      progress(progress: number, total: number | undefined, message: string) {
        plain.progress(progress, total, message);
        lastMessage = deps.client.redact(stripControl(message));
        if (!state) return;
        store
          .update(owner, state.taskId, { statusMessage: lastMessage, pollInterval: pollInterval() })
          .catch((error: unknown) => deps.log.debug(`task ${state?.taskId} not updated: ${String(error)}`));
      },
    };
    const create = async (): Promise<TaskState> => {
      const made = await reachable(() => store.create(owner, { ttl, pollInterval: pollInterval(), statusMessage: lastMessage ?? 'Sending to Mindee…' }));
      unsubscribe = store.onEnd(made.taskId, () => stopped.abort(new Error('The task was cancelled.')));
      return made;
    };
    const answer = (made: TaskState): CallToolResult =>
      (form.era === 'legacy' ? { content: [], task: legacyTask(made) } : { content: [], resultType: 'task', ...modernTask(made) });

    if (form.asked) state = await create();
    running.set(owner, (running.get(owner) ?? 0) + 1);
    const taskDeps: ToolDeps = { ...deps, settings: { ...deps.settings, maxWaitSeconds: waitSeconds } };
    const run = callTool(tool, runArgs, taskDeps, ctx).finally(() => {
      const left = (running.get(owner) ?? 1) - 1;
      if (left > 0) running.set(owner, left);
      else running.delete(owner);
    });

    const finish = async (made: TaskState, result: CallToolResult) => {
      try {
        const status = result.isError ? 'failed' : 'completed';
        const summary = result.isError ? firstText(result) : 'Done: the task has the answer.';
        const waiting = () => deps.log.info(`task ${made.taskId} has ended, but the task store cannot be reached: its result is stored as soon as the store answers again`);
        if (await endWhenReachable(() => store.end(owner, made.taskId, status, JSON.stringify(result), summary), clock, startedAt + ttl, waiting)) {
          const ended = await store.get(owner, made.taskId);
          if (ended && form.era === 'legacy') await this.notify({ method: 'notifications/tasks/status', params: legacyTask(ended) });
        }
      } catch (error) {
        deps.log.debug(`task ${made.taskId}: ${String(error)}`);
      } finally {
        unsubscribe();
      }
    };

    if (state) {
      const made = state;
      void run.then((result) => finish(made, result));
      return answer(made);
    }

    // Not asked: the plain answer if it comes within the budget; else a task that goes on.
    const cancelled = () => stopped.abort(extra.mcpReq.signal.reason);
    extra.mcpReq.signal.addEventListener('abort', cancelled, { once: true });
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const outcome = await Promise.race([
      run.then((result) => ({ result })),
      new Promise<{ result?: undefined }>((resolve) => (timer = clock.setTimeout(() => resolve({}), budgetMs))),
    ]);
    clock.clearTimeout(timer!);
    extra.mcpReq.signal.removeEventListener('abort', cancelled);
    if (outcome.result) return outcome.result;
    try {
      state = await create();
    } catch (error) {
      // No task can be made (the store is away or full): the call ends now, as a plain call whose wait ran out would.
      stopped.abort(error);
      deps.log.debug(`no task for a call that outlasted its wait: ${String(error)}`);
      return run;
    }
    const made = state;
    void run.then((result) => finish(made, result));
    return answer(made);
  }
}

function plannedModel(args: Record<string, unknown>, deps: ToolDeps): string | null {
  try {
    return resolveModelId(typeof args.model_id === 'string' ? args.model_id : undefined, deps.settings.models) ?? null;
  } catch {
    return null;
  }
}

function firstText(result: CallToolResult): string {
  const first = result.content[0];
  return clip(first && first.type === 'text' ? first.text : 'Failed.', 500);
}
