/**
 * MCP tasks through the SDK client's task API, against the emulator: a task-augmented call of an
 * enqueue tool returns a task at once, tasks/get follows the Mindee job, tasks/result gives the
 * plain call's result, tasks/cancel stops the waiting, tasks/list lists the caller's tasks — and
 * a plain call is what it was.
 */
import { CallToolResultSchema, CreateTaskResultSchema, TaskStatusNotificationSchema, type CallToolResult, type Task } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { MAX_RUNNING_TASKS_PER_OWNER, MINDEE_MIN_RETENTION_MS } from '../src/mcp/tasks.js';
import type { MemoryJobEvents } from '../src/state/job-events.js';
import { startHarness, textOf, type Harness } from './helpers/harness.js';
import { recordOutput } from './setup/secrets.js';
import { structuredOf } from './helpers/structured.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** A tools/call with `task`: the CreateTaskResult, as it comes back at once. */
async function startTask(name: string, args: Record<string, unknown>, ttl?: number): Promise<Task> {
  const created = await h.mcp.request({ method: 'tools/call', params: { name, arguments: args, task: ttl === undefined ? {} : { ttl } } }, CreateTaskResultSchema);
  return created.task;
}

async function taskResult(taskId: string): Promise<CallToolResult> {
  const result = await h.mcp.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
  recordOutput('tasks/result', result);
  return result;
}

/** A job created by the emulator, once it is. */
function nextJob(): Promise<string> {
  return new Promise((resolve) => h.emulator.once('job-created', (job: { id: string }) => resolve(job.id)));
}

/** Ids and times differ between two jobs of the same document; nothing else may. */
function normalised(result: CallToolResult): string {
  const { _meta: _ignored, ...rest } = result;
  return JSON.stringify(rest)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?/g, '<time>');
}

describe('MCP tasks', () => {
  it('are declared: the tasks capability, and taskSupport "optional" on the two enqueue tools only', async () => {
    h = await startHarness();
    expect(h.mcp.getServerCapabilities()?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    const { tools } = await h.mcp.listTools();
    const support = Object.fromEntries(tools.map((t) => [t.name, t.execution?.taskSupport ?? 'forbidden']));
    expect(support).toEqual({
      enqueue_document: 'optional',
      enqueue_documents: 'optional',
      get_job_status: 'forbidden',
      get_inference_result: 'forbidden',
      review_result: 'forbidden',
      search_models: 'forbidden',
    });
  });

  it('return a task at once, follow the job in tasks/get, and give the plain call’s result in tasks/result', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const args = { model_id: DEMO_MODELS.invoice, file_path: path };
    const statuses: Task[] = [];
    h.mcp.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
      statuses.push(n.params);
    });

    const created = nextJob();
    const task = await startTask('enqueue_document', args);
    expect(task.status).toBe('working');
    expect(task.pollInterval).toBeGreaterThanOrEqual(1000);
    const jobId = await created;
    await vi.waitFor(async () => expect((await h.mcp.experimental.tasks.getTask(task.taskId)).statusMessage).toContain(`job ${jobId}`));
    const working = await h.mcp.experimental.tasks.getTask(task.taskId);
    expect(working).toMatchObject({ taskId: task.taskId, status: 'working', ttl: task.ttl });
    expect(working.statusMessage).toMatch(/^Processing… \d+ s/);

    h.emulator.completeJob(jobId);
    const result = await taskResult(task.taskId);
    expect((await h.mcp.experimental.tasks.getTask(task.taskId)).status).toBe('completed');
    expect(statuses.map((s) => [s.taskId, s.status])).toEqual([[task.taskId, 'completed']]);

    // The same document through a plain call: the same answer, but for the ids and times of its own job.
    const plainJob = nextJob();
    const plainCall = h.call('enqueue_document', args);
    h.emulator.completeJob(await plainJob);
    const plain = await plainCall;
    expect(plain.isError).toBeFalsy();
    expect(normalised(result)).toBe(normalised(plain));
    expect(structuredOf('enqueue_document', result).result!.fields!.invoice_number).toBe('INV-2026-0042');
    // The task's result carries the verdict, its line first, as the plain call's does.
    expect(structuredOf('enqueue_document', result).result!.review!.verdict).toMatch(/^(accept|needs_review)$/);
    expect((result.content[0] as { text: string }).text).toMatch(/^(Needs review \(\d+\)|Checked): /);
  });

  it('end failed, with the plain call’s error, when the job fails', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const created = nextJob();
    const task = await startTask('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
    h.emulator.failJob(await created);
    const result = await taskResult(task.taskId);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('failed');
    const ended = await h.mcp.experimental.tasks.getTask(task.taskId);
    expect(ended.status).toBe('failed');
    expect(ended.statusMessage).toBe(textOf(result).slice(0, ended.statusMessage!.length));
  });

  it('run enqueue_documents too, one row per document', async () => {
    h = await startHarness({ emulator: { processingMs: 0 } });
    await h.write('a.pdf', makeSampleInvoicePdf());
    await h.write('b.pdf', makeSampleInvoicePdf());
    const task = await startTask('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [h.dir] });
    const result = await taskResult(task.taskId);
    expect(structuredOf('enqueue_documents', result).counts).toMatchObject({ processed: 2 });
  });

  it('stop waiting when cancelled, and say that Mindee cannot cancel the job', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const created = nextJob();
    const task = await startTask('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
    const jobId = await created;
    const events = h.client.connection.state.jobEvents as MemoryJobEvents;
    await vi.waitFor(() => expect(events.watched).toBe(1));

    const cancelled = await h.mcp.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.statusMessage).toContain('Mindee cannot cancel a job');
    expect(cancelled.statusMessage).toContain(jobId);
    // The wait for the job ends: nothing polls it any more.
    await vi.waitFor(() => expect(events.watched).toBe(0));
    const result = await taskResult(task.taskId);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('get_job_status');
    await expect(h.mcp.experimental.tasks.cancelTask(task.taskId)).rejects.toThrow(/terminal/);
  });

  it('cancelled twice at once: one cancel wins, the other says the task was already cancelled (not "not found")', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const created = nextJob();
    const task = await startTask('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
    await created;
    const both = await Promise.allSettled([h.mcp.experimental.tasks.cancelTask(task.taskId), h.mcp.experimental.tasks.cancelTask(task.taskId)]);
    const won = both.filter((r) => r.status === 'fulfilled');
    const lost = both.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(String(lost[0]!.reason)).toMatch(/terminal status: cancelled .*already been cancelled/);
    expect(String(lost[0]!.reason)).not.toMatch(/not found/i);
    expect((await h.mcp.experimental.tasks.getTask(task.taskId)).status).toBe('cancelled');
  });

  it('are listed for their caller, and unknown ids are refused with -32602', async () => {
    h = await startHarness({ emulator: { processingMs: 0 } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const a = await startTask('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
    const b = await startTask('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
    await Promise.all([taskResult(a.taskId), taskResult(b.taskId)]);
    const { tasks } = await h.mcp.experimental.tasks.listTasks();
    expect(tasks.map((t) => [t.taskId, t.status])).toEqual([
      [a.taskId, 'completed'],
      [b.taskId, 'completed'],
    ]);
    await expect(h.mcp.experimental.tasks.getTask('no-such-task')).rejects.toMatchObject({ code: -32602 });
    await expect(h.mcp.experimental.tasks.listTasks('no-such-cursor')).rejects.toMatchObject({ code: -32602 });
  });

  it('never live longer than Mindee and this server keep results, nor shorter than their wait', async () => {
    h = await startHarness({ emulator: { processingMs: 0 }, settings: { keptResultsSeconds: 1800 } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const args = { model_id: DEMO_MODELS.invoice, file_path: path };
    expect((await startTask('enqueue_document', args, 24 * 3600_000)).ttl).toBe(1800_000);
    expect((await startTask('enqueue_document', { ...args, max_wait_seconds: 30 }, 1000)).ttl).toBe(90_000);
    h.deps.settings.keptResultsSeconds = 24 * 3600;
    expect((await startTask('enqueue_document', args)).ttl).toBe(MINDEE_MIN_RETENTION_MS);
  });

  it('end their wait before they expire, however long a wait was asked for', async () => {
    // Results kept 62 s: the task lives 62 s, so a 590 s wait is cut to end 60 s before.
    h = await startHarness({ emulator: { processingMs: Infinity }, settings: { keptResultsSeconds: 62 } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const task = await startTask('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, max_wait_seconds: 590 });
    expect(task.ttl).toBe(62_000);
    const result = await taskResult(task.taskId);
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('Still processing after 2 s');
  });

  it('are bounded per caller, so one caller cannot take every slot of the store', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    const args = { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf' };
    const tasks = await Promise.all(Array.from({ length: MAX_RUNNING_TASKS_PER_OWNER }, () => startTask('enqueue_document', args)));
    expect(tasks.every((t) => t.status === 'working')).toBe(true);
    await expect(startTask('enqueue_document', args)).rejects.toThrow(`already has ${MAX_RUNNING_TASKS_PER_OWNER} tasks running`);
    await h.mcp.experimental.tasks.cancelTask(tasks[0]!.taskId);
    await vi.waitFor(async () => expect((await startTask('enqueue_document', args)).status).toBe('working'), { timeout: 10_000 });
    for (const t of (await h.mcp.experimental.tasks.listTasks()).tasks) if (t.status === 'working') await h.mcp.experimental.tasks.cancelTask(t.taskId);
  });

  it('suggest polling when jobs of the model usually end', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    for (let i = 0; i < 5; i++) h.client.connection.planner.observe(DEMO_MODELS.invoice, null, 6000);
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const task = await startTask('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
    expect(task.pollInterval).toBeGreaterThan(5000);
    expect(task.pollInterval).toBeLessThanOrEqual(6000);
    await h.mcp.experimental.tasks.cancelTask(task.taskId);
  });

  it('are refused with -32601 for a tool that does not run as a task, and bad arguments with -32602', async () => {
    h = await startHarness();
    await expect(startTask('search_models', {})).rejects.toMatchObject({ code: -32601 });
    await expect(startTask('enqueue_document', { model_id: 42 })).rejects.toMatchObject({ code: -32602 });
  });

  it('leave plain calls as they were: no task is made', async () => {
    h = await startHarness({ emulator: { processingMs: 0 } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
    expect(structuredOf('enqueue_document', result).result!.fields!.invoice_number).toBe('INV-2026-0042');
    expect((await h.mcp.experimental.tasks.listTasks()).tasks).toEqual([]);
  });

  it('work through the client’s callToolStream, as a host that speaks tasks uses them', async () => {
    h = await startHarness({ emulator: { processingMs: 0 } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const kinds: string[] = [];
    let final: CallToolResult | undefined;
    for await (const message of h.mcp.experimental.tasks.callToolStream(
      { name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, file_path: path } },
      CallToolResultSchema,
      { task: {} },
    )) {
      kinds.push(message.type);
      if (message.type === 'result') final = message.result;
    }
    expect(kinds[0]).toBe('taskCreated');
    expect(kinds.at(-1)).toBe('result');
    recordOutput('callToolStream', final);
    expect(structuredOf('enqueue_document', final!).result!.fields!.invoice_number).toBe('INV-2026-0042');
  });
});
