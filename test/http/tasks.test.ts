/**
 * MCP tasks over Streamable HTTP. The server is stateless — every request, tasks/get and
 * tasks/result included, is answered by a new McpServer — so a task lives in the shared task
 * store, not in the server that created it.
 */
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';
import { addSecret, recordOutput } from '../setup/secrets.js';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('MCP tasks over HTTP', () => {
  it('a task started in one request is followed, read and listed in others', async () => {
    h = await startHttpHarness({ argv: ['--auth', 'none'], emulator: { processingMs: Infinity } });
    const client = await h.client();
    const created = new Promise<string>((resolve) => h!.emulator.once('job-created', (job: { id: string }) => resolve(job.id)));
    const { task } = await client.request(
      { method: 'tools/call', params: { name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf' }, task: {} } },
      CreateTaskResultSchema,
    );
    expect(task.status).toBe('working');
    const jobId = await created;
    await vi.waitFor(async () => expect((await client.experimental.tasks.getTask(task.taskId)).statusMessage).toContain(`job ${jobId}`));

    h.emulator.completeJob(jobId);
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    recordOutput('tasks/result over HTTP', result);
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { result: { fields: Record<string, unknown> } }).result.fields).toBeTruthy();
    expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe('completed');
    const listed = await client.experimental.tasks.listTasks();
    expect(listed.tasks.map((t) => t.taskId)).toContain(task.taskId);
  });
});

describe('callers sharing the server key (token mode)', () => {
  const A = 'tok_caller_a_0123456789abcdef';
  const B = 'tok_caller_b_0123456789abcdef';

  it('see neither each other\'s tasks nor each other\'s kept results', async () => {
    addSecret(A);
    addSecret(B);
    h = await startHttpHarness({ argv: ['--auth', 'token'], env: { MINDEE_MCP_HTTP_TOKENS: `${A},${B}` }, emulator: { processingMs: Infinity } });
    const a = await h.client({ authorization: `Bearer ${A}` });
    const b = await h.client({ authorization: `Bearer ${B}` });
    const created = new Promise<string>((resolve) => h!.emulator.once('job-created', (job: { id: string }) => resolve(job.id)));
    const { task } = await a.request(
      { method: 'tools/call', params: { name: 'enqueue_document', arguments: { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf' }, task: {} } },
      CreateTaskResultSchema,
    );
    h.emulator.completeJob(await created);
    const own = await a.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(own.isError).toBeFalsy();

    expect((await b.experimental.tasks.listTasks()).tasks).toEqual([]);
    await expect(b.experimental.tasks.getTask(task.taskId)).rejects.toThrow();
    await expect(b.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)).rejects.toThrow();
    expect((await b.listResources()).resources).toEqual([]);
    expect((await a.listResources()).resources.length).toBe(1);
  });
});
