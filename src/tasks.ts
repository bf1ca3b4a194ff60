/**
 * MCP tasks (protocol 2025-11-25) for the tools that declare `execution.taskSupport`: a
 * task-augmented tools/call returns a task at once and runs the tool's own `run` in the
 * background; tasks/get reports the Mindee job's progress and when to look again; tasks/result
 * gives exactly the CallToolResult of the plain call; tasks/cancel stops the waiting (Mindee
 * cannot cancel a job); tasks/list lists the caller's tasks. A call without `task` takes the
 * plain path, unchanged. The tasks live in the shared state's task store.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CreateTaskOptions, TaskStore as SdkTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/interfaces.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type CreateTaskResult,
  type ListToolsResult,
  type Request,
  type RequestId,
  type Result,
  type ServerCapabilities,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { MAX_WAIT_SECONDS } from './config.js';
import type { Clock } from './state/clock.js';
import { StateUnavailableError } from './state/errors.js';
import { DEFAULT_RESULT_STORE } from './state/result-store.js';
import { TaskCursorError, TaskStoreFullError, type TaskState } from './state/task-store.js';
import { clip } from './text.js';
import { callTool, toolContext, type AnyTool, type Extra } from './tool-call.js';
import type { ToolDeps } from './tools/define.js';
import { resolveModelId } from './tools/models.js';

export const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } } satisfies ServerCapabilities['tasks'];

/** Mindee keeps a result 1 to 24 hours, as each model is set: a task never outlives the shortest. */
export const MINDEE_MIN_RETENTION_MS = 3600_000;
/** Time left after a task's wait to read its result. */
const READ_MARGIN_MS = 60_000;
/** Tasks one owner may have running in this process: the store's slots are everyone's. */
export const MAX_RUNNING_TASKS_PER_OWNER = 50;
/** Running tasks per owner, for the whole process (a stateless HTTP server makes a server per request). */
const running = new Map<string, number>();

/** Bounds of the suggested gap between two tasks/get. */
const MIN_POLL_MS = 1000;
const MAX_POLL_MS = 10_000;

const CANCELLED =
  'Cancelled: mindee-mcp stopped waiting. Mindee cannot cancel a job: a document already sent is still processed ' +
  '(and counted); get_job_status with its job_id follows it.';

/** Who may see a task: the caller's API key (its partition) and MCP session. */
function ownerOf(deps: ToolDeps, sessionId: string | undefined): string {
  return `${deps.client.partition}\u0000${sessionId ?? ''}`;
}

function toTask(state: TaskState): Task {
  return { ...state };
}

/** A task store that cannot be reached (Redis away) is said as such to the caller, who can do without a task. */
async function reachable<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof StateUnavailableError) throw new McpError(ErrorCode.InternalError, `${error.message} Meanwhile, call the tool without "task": the call itself then waits for the result.`);
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
 * The store as the SDK's task handlers (tasks/get, tasks/result, tasks/list, tasks/cancel) see
 * it: the shared task store, seen by one owner.
 */
export function sdkTaskStore(deps: ToolDeps): SdkTaskStore {
  const store = deps.client.connection.state.tasks;
  const notFound = (taskId: string) => new McpError(ErrorCode.InvalidParams, `Task not found: ${clip(taskId, 80)} is unknown to this caller, or has expired.`);
  return {
    createTask: (params: CreateTaskOptions, _requestId: RequestId, _request: Request, sessionId?: string) =>
      reachable(async () => toTask(await store.create(ownerOf(deps, sessionId), { ttl: taskTtl(deps, params.ttl ?? undefined, 0), pollInterval: params.pollInterval ?? MIN_POLL_MS }))),
    getTask: (taskId, sessionId) =>
      reachable(async () => {
        const state = await store.get(ownerOf(deps, sessionId), taskId);
        return state && toTask(state);
      }),
    storeTaskResult: (taskId, status, result, sessionId) =>
      reachable(async () => {
        if (!(await store.end(ownerOf(deps, sessionId), taskId, status, JSON.stringify(result)))) throw notFound(taskId);
      }),
    getTaskResult: (taskId, sessionId) =>
      reachable(async (): Promise<Result> => {
        const json = await store.result(ownerOf(deps, sessionId), taskId);
        if (json === undefined) throw notFound(taskId);
        return JSON.parse(json) as Result;
      }),
    updateTaskStatus: (taskId, status, statusMessage, sessionId) =>
      reachable(async () => {
        const owner = ownerOf(deps, sessionId);
        if (status === 'cancelled') {
          // tasks/cancel: the task ends now, its result says what that means for the Mindee job.
          const before = await store.get(owner, taskId);
          const message = before?.statusMessage ? `${CANCELLED} Last status: ${before.statusMessage}` : CANCELLED;
          const result: CallToolResult = { isError: true, content: [{ type: 'text', text: message }] };
          if (!(await store.end(owner, taskId, 'cancelled', JSON.stringify(result), message))) {
            // Another tasks/cancel (or the task's own end) came first: said as the SDK says a task already ended.
            const after = await store.get(owner, taskId);
            if (after) throw new McpError(ErrorCode.InvalidParams, `Cannot cancel task in terminal status: ${after.status} (task ${clip(taskId, 80)} has already ${after.status === 'cancelled' ? 'been cancelled' : 'ended'}).`);
            throw notFound(taskId);
          }
        } else if (status === 'completed' || status === 'failed') {
          throw new McpError(ErrorCode.InternalError, 'A task ends with its result (storeTaskResult), not by a status change.');
        } else if (!(await store.update(owner, taskId, { statusMessage }))) {
          throw notFound(taskId);
        }
      }),
    listTasks: (cursor, sessionId) =>
      reachable(async () => {
        try {
          const page = await store.list(ownerOf(deps, sessionId), cursor);
          return { tasks: page.tasks.map(toTask), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
        } catch (error) {
          if (error instanceof TaskCursorError) throw new McpError(ErrorCode.InvalidParams, error.message);
          throw error;
        }
      }),
  };
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

/**
 * Task support for the tools that declare it. McpServer answers a plain call of an "optional"
 * task tool by creating a task and polling its own store, which would change every plain call
 * (a poll interval of delay, no output check, a task nobody asked for); so the tools stay plain
 * tools, and the two handlers McpServer installs for them are wrapped as it installs them:
 * tools/call takes the task path only when the request carries `task`, and tools/list
 * advertises `execution.taskSupport`. Must run before the first tool is registered.
 */
export function enableToolTasks(server: McpServer, tools: readonly AnyTool[], deps: ToolDeps): void {
  const taskTools = new Map(tools.filter((t) => t.execution).map((t) => [t.name, t]));
  const inner = server.server;
  const install = inner.setRequestHandler.bind(inner);
  const wrapped: typeof inner.setRequestHandler = (schema, handler) => {
    const method = schema as unknown;
    if (method === CallToolRequestSchema) {
      const plain = handler as unknown as (request: z.infer<typeof CallToolRequestSchema>, extra: Extra) => Promise<Result>;
      return install(CallToolRequestSchema, (request, extra) => (request.params.task ? startTask(request.params, extra) : plain(request, extra)));
    }
    if (method === ListToolsRequestSchema) {
      const plain = handler as unknown as (request: z.infer<typeof ListToolsRequestSchema>, extra: Extra) => Promise<ListToolsResult>;
      return install(ListToolsRequestSchema, async (request, extra) => {
        const listed = await plain(request, extra);
        return { ...listed, tools: listed.tools.map((t) => (taskTools.get(t.name)?.execution ? { ...t, execution: taskTools.get(t.name)!.execution } : t)) };
      });
    }
    return install(schema, handler);
  };
  inner.setRequestHandler = wrapped;

  async function startTask(params: z.infer<typeof CallToolRequestSchema>['params'], extra: Extra): Promise<CreateTaskResult> {
    const tool = taskTools.get(params.name);
    if (!tool) {
      throw new McpError(ErrorCode.MethodNotFound, `${clip(params.name, 80)} does not run as a task (its execution.taskSupport is not "optional"): call it without "task".`);
    }
    const parsed = await z.object(tool.inputSchema).safeParseAsync(params.arguments ?? {});
    if (!parsed.success) {
      throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for tool ${tool.name}: ${clip(z.prettifyError(parsed.error), 2000)}`);
    }
    const args = parsed.data as Record<string, unknown>;
    const store = deps.client.connection.state.tasks;
    const owner = ownerOf(deps, extra.sessionId);
    // No host cuts a task off at 60 s: by default it waits as long as Mindee may process a job,
    // within the task's lifetime.
    const askedWait = typeof args.max_wait_seconds === 'number' ? args.max_wait_seconds : undefined;
    const ttl = taskTtl(deps, params.task?.ttl, (askedWait ?? MAX_WAIT_SECONDS) * 1000);
    // The wait ends before the task does, with time to read the result: a task never expires while
    // its wait still runs (it could then be neither cancelled nor read).
    const waitSeconds = Math.max(1, Math.min(askedWait ?? MAX_WAIT_SECONDS, MAX_WAIT_SECONDS, Math.floor((ttl - READ_MARGIN_MS) / 1000)));
    if (askedWait !== undefined && askedWait > waitSeconds) args.max_wait_seconds = waitSeconds;
    if ((running.get(owner) ?? 0) >= MAX_RUNNING_TASKS_PER_OWNER) {
      throw new McpError(
        ErrorCode.InvalidRequest,
        `This caller already has ${MAX_RUNNING_TASKS_PER_OWNER} tasks running here: wait for some to end (tasks/get) or cancel them (tasks/cancel), then start more; enqueue_documents sends many documents in one task.`,
      );
    }
    const modelId = plannedModel(args, deps);
    const startedAt = deps.client.connection.clock.now();
    const pollInterval = () => {
      const { planner, clock } = deps.client.connection;
      const elapsedMs = clock.now() - startedAt;
      const ahead = planner.predictions(modelId, null).filter((t) => t > elapsedMs);
      // When half the jobs like this one still running are done; with nothing learnt yet, when
      // the waiter would look next.
      const next = ahead.length > 0 ? ahead[Math.floor(ahead.length / 2)]! - elapsedMs : planner.nextDelay({ modelId, pages: null, elapsedMs, polls: 1 });
      return Math.round(Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, next)));
    };
    let state: TaskState;
    try {
      state = await reachable(() => store.create(owner, { ttl, pollInterval: pollInterval(), statusMessage: 'Sending to Mindee…' }));
    } catch (error) {
      if (error instanceof TaskStoreFullError) throw new McpError(ErrorCode.InternalError, error.message);
      throw error;
    }

    running.set(owner, (running.get(owner) ?? 0) + 1);
    const stopped = new AbortController();
    const unsubscribe = store.onEnd(state.taskId, () => stopped.abort(new Error('The task was cancelled.')));
    const plain = toolContext(extra, deps, stopped.signal);
    const ctx = {
      signal: stopped.signal,
      progress(progress: number, total: number | undefined, message: string) {
        plain.progress(progress, total, message);
        store
          .update(owner, state.taskId, { statusMessage: deps.client.redact(message), pollInterval: pollInterval() })
          .catch((error: unknown) => deps.log.debug(`task ${state.taskId} not updated: ${String(error)}`));
      },
    };
    const taskDeps: ToolDeps = { ...deps, settings: { ...deps.settings, maxWaitSeconds: waitSeconds } };
    void (async () => {
      try {
        const result = await callTool(tool, args, taskDeps, ctx);
        const status = result.isError ? 'failed' : 'completed';
        const summary = result.isError ? firstText(result) : 'Done: tasks/result has the answer.';
        const { clock } = deps.client.connection;
        const waiting = () => deps.log.info(`task ${state.taskId} has ended, but the task store cannot be reached: its result is stored as soon as the store answers again`);
        if (await endWhenReachable(() => store.end(owner, state.taskId, status, JSON.stringify(result), summary), clock, startedAt + ttl, waiting)) {
          const ended = await store.get(owner, state.taskId);
          if (ended) await inner.notification({ method: 'notifications/tasks/status', params: toTask(ended) });
        }
      } catch (error) {
        deps.log.debug(`task ${state.taskId}: ${String(error)}`);
      } finally {
        unsubscribe();
        const left = (running.get(owner) ?? 1) - 1;
        if (left > 0) running.set(owner, left);
        else running.delete(owner);
      }
    })();
    return { task: toTask(state) };
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
